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

    public Map<String, String> forApp(long appId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvVarDao.EncryptedVar v : envVars.list(appId)) {
            values.put(v.name(), box.decrypt(appId, v.name(), v.valueEncrypted()));
        }
        return values;
    }
}
