package com.vangoframework.rhone.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
// bcrypt for the htpasswd file: Bouncy Castle's, as Testcontainers (already a test dependency) shades it.
import org.testcontainers.shaded.org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Debian's docker-registry (ops/setup-local-builder installs it) on a free loopback port, demanding
 * one user's password (htpasswd, Basic auth), storing under {@code dir}. Stopped by {@link #close()}.
 */
public final class HtpasswdRegistry implements AutoCloseable {

    private final Process process;
    private final String name;

    public HtpasswdRegistry(Path dir, String user, String password) throws IOException {
        name = "127.0.0.1:" + ChildProcesses.freePort();
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        Files.createDirectories(dir);
        Path htpasswd = Files.writeString(dir.resolve("htpasswd"),
                user + ":" + OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, 6) + "\n");
        Path config = Files.writeString(dir.resolve("registry.yml"), String.join("\n",
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + Files.createDirectories(dir.resolve("registry-data")),
                "http:",
                "  addr: " + name,
                "auth:",
                "  htpasswd:",
                "    realm: rhone-test",
                "    path: " + htpasswd,
                ""));
        process = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://" + name + "/v2/")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 401);
    }

    /** {@code 127.0.0.1:<port>}, as RHONE_REGISTRY takes it. */
    public String name() {
        return name;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
