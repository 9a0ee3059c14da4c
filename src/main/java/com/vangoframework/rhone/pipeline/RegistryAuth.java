package com.vangoframework.rhone.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/**
 * Registry credentials for one build, as a private {@code DOCKER_CONFIG} directory inside the
 * build's own work dir (mode 700): docker and buildctl both read {@code config.json} from there,
 * and it disappears with the work dir. They are the app's own credentials when it has some
 * ({@code set-registry-credentials}), else the global ones; for registry.fly.io the global user is
 * {@code x} and the password the FLY_API_TOKEN. The file names one registry and one user, so a
 * build carries no other credentials than these.
 */
public record RegistryAuth(String registry, String user, String password) {

    public boolean isEmpty() {
        return password == null || password.isEmpty();
    }

    /**
     * Writes the directory and returns it. Without credentials its {@code config.json} is empty:
     * the build client must not fall back to a {@code ~/.docker/config.json} of the service user.
     */
    public Path writeDockerConfig(Path workDir) throws IOException {
        Path dir = Files.createDirectories(workDir.resolve("docker-config"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path file = Files.createFile(dir.resolve("config.json"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        if (isEmpty()) {
            Files.writeString(file, "{\"auths\":{}}");
            return dir;
        }
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        String host = registry.contains("/") ? registry.substring(0, registry.indexOf('/')) : registry;
        // JSON by hand: host and base64 need no escaping (a registry name has no quote or backslash).
        Files.writeString(file, "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
        return dir;
    }
}
