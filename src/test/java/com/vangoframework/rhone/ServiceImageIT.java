package com.vangoframework.rhone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.DockerCli;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production image (ops/service/Dockerfile) built for real on the locally made Debian base
 * images (ops/make-base-images), run as a container, and judged by its own Docker health check.
 * Skipped only when there is no Docker engine; with one, missing base images are a failure.
 */
class ServiceImageIT {

    static final String BUILD_IMAGE = System.getenv().getOrDefault("RHONE_TEST_BUILD_IMAGE", "local/rhone-maven:17");
    static final String RUNTIME_IMAGE = System.getenv().getOrDefault("RHONE_TEST_RUNTIME_IMAGE", "local/rhone-jre:17");
    static final String POSTGRES_IMAGE = System.getenv().getOrDefault("RHONE_TEST_POSTGRES_IMAGE", "local/postgres:15");
    static final String RUN_ID = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    static final String IMAGE = "rhone-test/service:" + RUN_ID;
    static final Duration HEALTHY_WITHIN = Duration.ofSeconds(120);
    // Not a real certificate: the service only passes the file's path on to buildctl.
    static final String CA_PEM = "-----BEGIN CERTIFICATE-----\nTUlJQnRlc3Q=\n-----END CERTIFICATE-----";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final List<String> containers = new ArrayList<>();

    static String noDocker;

    @BeforeAll
    static void buildImage() throws IOException {
        noDocker = DockerCli.unavailableReason();
        if (noDocker != null) {
            return; // each test reports the skip (surefire hides an assumption failed here)
        }
        for (String base : List.of(BUILD_IMAGE, RUNTIME_IMAGE, POSTGRES_IMAGE)) {
            assertThat(DockerCli.imageExists(base))
                    .as("base image %s is missing: run ops/make-base-images (ops/setup-local-builder runs it)", base)
                    .isTrue();
        }
        Path log = Files.createDirectories(Path.of("target")).resolve("service-image-build.log");
        DockerCli.Result build = DockerCli.run(Duration.ofMinutes(15), Path.of("").toAbsolutePath(),
                Map.of("DOCKER_BUILDKIT", "1"), log,
                "build", "--progress=plain", "-f", "ops/service/Dockerfile",
                "--build-arg", "BUILD_IMAGE=" + BUILD_IMAGE,
                "--build-arg", "RUNTIME_IMAGE=" + RUNTIME_IMAGE,
                "--build-arg", "BUILDER_TOOLS=none",
                "-t", IMAGE, ".");
        assertThat(build.ok()).as("docker build failed (%s):%n%s", log, DockerCli.tail(build.output())).isTrue();
    }

    @BeforeEach
    void needsDocker() {
        Assumptions.assumeTrue(noDocker == null, () -> "skipped: no Docker engine (" + noDocker
                + "); the service image test needs one, and ops/setup-local-builder starts it");
    }

    @AfterAll
    static void removeImage() {
        if (noDocker == null) {
            DockerCli.run(Duration.ofMinutes(1), "image", "rm", "-f", IMAGE);
        }
    }

    @AfterEach
    void removeContainers() {
        containers.forEach(c -> DockerCli.run(Duration.ofMinutes(1), "rm", "-f", "-v", c));
    }

    @Test
    void withDatabaseUrl_turnsHealthyAsTheRhoneUser_migratedAndWithItsTlsFilesWritten() throws Exception {
        String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        String db = start("pg", "-p", "127.0.0.1::5432",
                "-e", "POSTGRES_USER=rhone", "-e", "POSTGRES_PASSWORD=" + password, "-e", "POSTGRES_DB=rhone",
                POSTGRES_IMAGE);
        awaitPostgres(db);
        String dbAddress = DockerCli.check(Duration.ofSeconds(20), "port", db, "5432/tcp").lines().findFirst()
                .orElseThrow();

        // On the host's network, as a single-box install runs it: the registry it pushes to
        // (127.0.0.1:5000, from ops/setup-local-builder) is on the host's loopback, and the
        // `registry` health check must find it.
        String socketGroup = Files.getAttribute(Path.of("/var/run/docker.sock"), "unix:gid").toString();
        int apiPort = ChildProcesses.freePort();
        int adminPort = ChildProcesses.freePort();
        String service = start("service", "--network", "host",
                "-e", "RHONE_PORT=" + apiPort, "-e", "RHONE_ADMIN_PORT=" + adminPort,
                "-e", "DATABASE_URL=postgres://rhone:" + password + "@" + dbAddress + "/rhone",
                "-e", "RHONE_SECRET_KEY=" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32)),
                // The builder health check asks the host's engine, as a single-box install would.
                "-v", DockerCli.BINARY + ":/usr/bin/docker:ro", "-v", "/var/run/docker.sock:/var/run/docker.sock",
                "--group-add", socketGroup,
                "-e", "BUILDKIT_TLS_CA_PEM=" + CA_PEM,
                "--health-interval", "2s", IMAGE);

        assertThat(awaitHealth(service, "healthy")).isEqualTo("healthy");
        HttpResponse<String> health = getAt("127.0.0.1:" + adminPort, "/healthcheck");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"postgresql\":{\"healthy\":true", "\"builder\":{\"healthy\":true",
                "\"registry\":{\"healthy\":true");
        assertThat(getAt("127.0.0.1:" + apiPort, "/api/apps/web/deployments").statusCode()).isEqualTo(401);

        assertThat(DockerCli.check(Duration.ofSeconds(20), "exec", service, "stat", "-c", "%U", "/proc/1"))
                .as("the JVM's user").isEqualTo("rhone");
        List<String> jvmEnv = List.of(DockerCli.check(Duration.ofSeconds(20), "exec", service, "cat", "/proc/1/environ")
                .split("\0"));
        assertThat(jvmEnv).as("the JVM's environment").noneMatch(v -> v.startsWith("BUILDKIT_TLS_CA_PEM="));
        String caFile = jvmEnv.stream().filter(v -> v.startsWith("BUILDKIT_TLS_CA=")).findFirst()
                .orElseThrow(() -> new AssertionError("BUILDKIT_TLS_CA is not set: " + jvmEnv)).substring(16);
        assertThat(DockerCli.check(Duration.ofSeconds(20), "exec", service, "stat", "-c", "%U %a", caFile))
                .as("the CA file written from BUILDKIT_TLS_CA_PEM").isEqualTo("rhone 600");
        assertThat(DockerCli.check(Duration.ofSeconds(20), "exec", service, "cat", caFile)).isEqualTo(CA_PEM);
        long migrations;
        try (Stream<Path> files = Files.list(Path.of("db/migration"))) {
            migrations = files.count();
        }
        assertThat(DockerCli.check(Duration.ofSeconds(20), "exec", db, "psql", "-U", "rhone", "-d", "rhone", "-tAc",
                "select count(*) from flyway_schema_history where success"))
                .as("migrations applied from the jar").isEqualTo(String.valueOf(migrations));
    }

    @Test
    void embeddedDefaultWithoutABuilder_startsItsDatabaseButTheHealthCheckFails() throws Exception {
        // A published port is forwarded to the container's own address, not its loopback: the
        // admin port must bind every interface of the container for the test to reach it.
        String service = start("embedded", "-p", "127.0.0.1::8081", "-e", "RHONE_ADMIN_BIND=0.0.0.0",
                "--health-interval", "2s", IMAGE);

        HttpResponse<String> health = awaitAnswer(service, "/healthcheck");
        assertThat(health.statusCode()).isEqualTo(500);
        assertThat(health.body()).contains("\"postgresql\":{\"healthy\":true", "\"builder\":{\"healthy\":false",
                "/usr/bin/docker cannot be started");
        assertThat(awaitLastProbe(service, "error: 500")).as("Docker's last health probe").contains("error: 500");
        assertThat(DockerCli.check(Duration.ofSeconds(20), "exec", service, "stat", "-c", "%U %a",
                "/var/lib/rhone/postgres")).as("the embedded database's files").isEqualTo("rhone 700");
    }

    private String start(String role, String... args) {
        String name = "rhone-image-test-" + RUN_ID + "-" + role;
        List<String> command = new ArrayList<>(List.of("run", "-d", "--name", name));
        command.addAll(List.of(args));
        containers.add(name);
        DockerCli.check(Duration.ofMinutes(1), command.toArray(String[]::new));
        return name;
    }

    /** The real server, not the entrypoint's temporary one: it listens on TCP. */
    private static void awaitPostgres(String container) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!DockerCli.run(Duration.ofSeconds(10), "exec", container, "pg_isready", "-q", "-h", "127.0.0.1").ok()) {
            if (System.nanoTime() > deadline) {
                fail("PostgreSQL did not accept TCP connections within 60 s: " + logs(container));
            }
            Thread.sleep(250);
        }
    }

    /** Waits until Docker reports {@code wanted} (or the container stops) and returns the last status. */
    private static String awaitHealth(String container, String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            state = DockerCli.check(Duration.ofSeconds(20), "inspect", "--format",
                    "{{.State.Status}} {{.State.Health.Status}}", container);
            if (state.equals("running " + wanted)) {
                return wanted;
            }
            if (!state.startsWith("running")) {
                fail("the container stopped (" + state + "): " + logs(container));
            }
            Thread.sleep(500);
        }
        fail("the container's health was still '" + state + "' after " + HEALTHY_WITHIN.toSeconds() + " s: "
                + logs(container));
        return state;
    }

    /** The first answer of the admin port, whatever its status. */
    private static HttpResponse<String> awaitAnswer(String container, String path) throws Exception {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        while (true) {
            try {
                return get(container, 8081, path);
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    fail("the admin port did not answer within " + HEALTHY_WITHIN.toSeconds() + " s: " + logs(container));
                }
                Thread.sleep(500);
            }
        }
    }

    /** Waits for Docker's latest health probe to print {@code expected}; returns that output. */
    private static String awaitLastProbe(String container, String expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String output = "";
        while (System.nanoTime() < deadline) {
            JsonNode probes = JSON.readTree(DockerCli.check(Duration.ofSeconds(20), "inspect", "--format",
                    "{{json .State.Health.Log}}", container));
            output = probes.isEmpty() ? "" : probes.get(probes.size() - 1).path("Output").asText();
            if (output.contains(expected)) {
                return output;
            }
            Thread.sleep(500);
        }
        return output;
    }

    private static HttpResponse<String> get(String container, int port, String path) throws Exception {
        String published = DockerCli.check(Duration.ofSeconds(20), "port", container, port + "/tcp");
        return getAt(published.lines().findFirst().orElseThrow(), path);
    }

    private static HttpResponse<String> getAt(String address, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + address + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String logs(String container) {
        return DockerCli.tail(DockerCli.run(Duration.ofSeconds(20), "logs", container).output());
    }
}
