package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local engine's command lines, and the credentials a build carries. */
class DockerImageBuilderTest {

    @TempDir
    Path dir;

    private final DockerImageBuilder docker = new DockerImageBuilder("/usr/bin/docker", "frontend", new ProcessRunner(Path.of("/nonexistent/idle-home")));

    private ImageBuilder.Request request(String tag, Map<String, String> secrets, String hash) {
        return new ImageBuilder.Request(BuildPlan.dockerfile(Path.of("/w/src")), tag, "r/web:buildcache", false,
                secrets, hash, new RegistryAuth("r", "", ""), dir, Duration.ofMinutes(5));
    }

    @Test
    void pullRequestBuildWithoutEnvVars_hasNoSecretArguments_andTheGivenHash() {
        assertThat(docker.buildCommand(request("r/web-pr:pr-3-0123456789ab", Map.of(), "e".repeat(64))))
                .containsExactly("/usr/bin/docker", "build", "--progress=plain", "--tag", "r/web-pr:pr-3-0123456789ab",
                        "--build-arg", "secrets-hash=" + "e".repeat(64), "--file", "/w/src/Dockerfile", "/w/src");
        assertThat(docker.pushCommand(request("r/web-pr:pr-3-0123456789ab", Map.of(), "e")))
                .containsExactly("/usr/bin/docker", "push", "r/web-pr:pr-3-0123456789ab");
    }

    @Test
    void buildWithEnvVars_passesThemAsSecretsOnly() {
        assertThat(docker.buildCommand(request("r/web:0123456789ab", Map.of("DATABASE_URL", "postgres://x"), "h")))
                .containsSequence("--secret", "id=DATABASE_URL,env=RHONE_SECRET_DATABASE_URL")
                .noneMatch(arg -> arg.contains("postgres://x"));
    }

    @Test
    void appCredentials_areTheOnlyOnesInTheBuildsDockerConfig() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path config = new RegistryAuth("registry.example.test/images", "app-a", "a-password").writeDockerConfig(a);
        String json = Files.readString(config.resolve("config.json"));
        var auths = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("auths");
        assertThat(auths.size()).isEqualTo(1);
        assertThat(new String(java.util.Base64.getDecoder().decode(auths.get("registry.example.test").get("auth").asText())))
                .isEqualTo("app-a:a-password");
        assertThat(Files.getPosixFilePermissions(config)).hasSize(3); // rwx------

        // No credentials: an empty config all the same, so docker never falls back to ~/.docker.
        Path none = new RegistryAuth("r", "", "").writeDockerConfig(Files.createDirectories(dir.resolve("b")));
        assertThat(Files.readString(none.resolve("config.json"))).isEqualTo("{\"auths\":{}}");
    }
}
