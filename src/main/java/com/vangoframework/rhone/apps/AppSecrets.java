package com.vangoframework.rhone.apps;

import java.util.LinkedHashMap;
import java.util.Map;

/** An app's env vars, decrypted for the one build that needs them. */
public final class AppSecrets {

    private final EnvVarDao envVars;
    private final SecretBox box;

    public AppSecrets(EnvVarDao envVars, SecretBox box) {
        this.envVars = envVars;
        this.box = box;
    }

    /** Changes when any name or value changes; safe to show (keyed, see {@link SecretBox#fingerprint}). */
    public String fingerprint(long appId, Map<String, String> values) {
        StringBuilder lines = new StringBuilder();
        new java.util.TreeMap<>(values).forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
        return box.fingerprint("secrets-hash:" + appId, lines.toString());
    }

    public Map<String, String> forApp(long appId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvVarDao.EncryptedVar v : envVars.list(appId)) {
            values.put(v.name(), box.decrypt(appId, v.name(), v.valueEncrypted()));
        }
        return values;
    }
}
