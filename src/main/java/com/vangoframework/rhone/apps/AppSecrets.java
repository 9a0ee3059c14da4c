package com.vangoframework.rhone.apps;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** An app's env vars and its own registry credentials, decrypted for the one build that needs them. */
public final class AppSecrets {

    private final EnvVarDao envVars;
    private final RegistryCredentialsDao registry;
    private final SecretBox box;

    public AppSecrets(EnvVarDao envVars, RegistryCredentialsDao registry, SecretBox box) {
        this.envVars = envVars;
        this.registry = registry;
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

    /** The app's own registry credentials ({@code set-registry-credentials}), if it has any. */
    public Optional<RegistryCredentials> registryCredentials(long appId) {
        return registry.find(appId).map(stored -> new RegistryCredentials(stored.username(),
                box.decryptRegistryPassword(appId, stored.passwordEncrypted())));
    }
}
