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
 * and it disappears with the work dir. For registry.fly.io the user is {@code x} and the password
 * the FLY_API_TOKEN.
 */
public record RegistryAuth(String registry, String user, String password) {

    public boolean isEmpty() {
        return password == null || password.isEmpty();
    }

    /** Writes the directory and returns it, or null when there are no credentials. */
    public Path writeDockerConfig(Path workDir) throws IOException {
        if (isEmpty()) {
            return null;
        }
        Path dir = Files.createDirectories(workDir.resolve("docker-config"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        String host = registry.contains("/") ? registry.substring(0, registry.indexOf('/')) : registry;
        Path file = Files.createFile(dir.resolve("config.json"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
        return dir;
    }
}
