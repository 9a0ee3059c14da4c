package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.DockerCli;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.HtpasswdRegistry;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that is not there for a while: the real queue and pipeline, the local Docker engine,
 * and the local registry (127.0.0.1:5000) behind a port that refuses connections until the test
 * opens it. The push's retries are what get the build through.
 */
@NeedsDocker
class PushRetryTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private TestService service;
    private RegistryGate gate;

    @AfterEach
    void stop() throws Exception {
        if (service != null) {
            service.stop();
        }
        if (gate != null) {
            gate.close();
        }
    }

    /**
     * A port in front of the local registry that refuses every connection (nothing listens) until
     * {@link #open()}, then passes bytes both ways. A loopback address, so Docker speaks plain
     * HTTP to it, and the registry names it in its upload URLs (it answers with the Host it was asked for).
     */
    static final class RegistryGate implements AutoCloseable {
        private final int port;
        private final String upstreamHost;
        private final int upstreamPort;
        private volatile ServerSocket listener;

        RegistryGate(String upstream) throws IOException {
            this.port = ChildProcesses.freePort();
            this.upstreamHost = upstream.substring(0, upstream.indexOf(':'));
            this.upstreamPort = Integer.parseInt(upstream.substring(upstream.indexOf(':') + 1));
        }

        String name() {
            return "127.0.0.1:" + port;
        }

        synchronized void open() throws IOException {
            if (listener != null) {
                return;
            }
            listener = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket client = listener.accept();
                        Socket upstream = new Socket(upstreamHost, upstreamPort);
                        pump(client, upstream);
                        pump(upstream, client);
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "registry-gate-accept");
            accept.setDaemon(true);
            accept.start();
        }

        private static void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // one side closed
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }, "registry-gate-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public synchronized void close() throws IOException {
            if (listener != null) {
                listener.close();
            }
        }
    }

    @Test
    void aRegistryThatRefusesConnectionsTwiceThenAnswers_isBuilt_withTheRetriesInTheLog() throws Exception {
        gate = new RegistryGate(REGISTRY);
        AtomicInteger waits = new AtomicInteger();
        // The registry comes up during the second wait: attempts 1 and 2 are refused, attempt 3 gets through.
        PushRetry retry = new PushRetry(3, Duration.ofMillis(200), (delay, ctx) -> {
            if (waits.incrementAndGet() == 2) {
                try {
                    gate.open();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            PushRetry.UNTIL_ABORTED.await(delay, ctx);
        });
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        RegistryAuth none = new RegistryAuth(gate.name(), "", "");
        service = TestService.withPipelineFrom(db, dir.resolve("data"), parts -> new ImagePipeline(
                new GitCheckout(RepoCredentials.NONE, "https://github.com", Duration.ofSeconds(30)),
                new RailpackAnalyzer(dir.resolve("no-railpack").toString(), new ProcessRunner(dir.resolve("idle")),
                        new ObjectMapper(), Duration.ofSeconds(5)),
                new DockerImageBuilder(DockerCli.BINARY, "unused-frontend", new ProcessRunner(dir.resolve("idle")), retry),
                parts.secrets(), parts.logs(), none, TestService.workDirOf(dir.resolve("data")),
                new RegistryImageSize(none, Duration.ofSeconds(5)))).start();

        String name = "retried-" + UUID.randomUUID().toString().substring(0, 8);
        Path repo = dir.resolve("repos").resolve(name);
        String sha;
        try (TestRepo r = new TestRepo(repo)) {
            sha = r.commit("first", Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + name + " > /marker\n"));
        }
        Team team = fx.team("retries");
        App app = fx.gitApp(team, name, repo.toUri().toString().replace("file:/", "file:///"), 600);
        Deployment d = new DeploymentService(jdbi).request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());

        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-reader"));
        Deployment done = fx.reload(d);
        String log = logs.read(d.id());
        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + log).isEqualTo(DeploymentStatus.BUILT);
        assertThat(log)
                .contains("push to " + gate.name() + " failed (connection refused); retrying in 200 ms (attempt 2 of 4)")
                .contains("push to " + gate.name() + " failed (connection refused); retrying in 400 ms (attempt 3 of 4)")
                .doesNotContain("(attempt 4 of 4)")
                .contains("Pushed " + gate.name() + "/" + name + ":" + sha.substring(0, 12));
        assertThat(waits.get()).isEqualTo(2);
        // The image is in the registry behind the gate, under the digest the build recorded.
        HttpResponse<Void> manifest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://" + REGISTRY + "/v2/" + name + "/manifests/" + sha.substring(0, 12)))
                        .header("Accept", "application/vnd.docker.distribution.manifest.v2+json").build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(done.imageDigest());
    }

    @Test
    void aPushTheRegistryRefusesForWantOfCredentials_isNotRetried() throws Exception {
        String password = "pw-" + UUID.randomUUID();
        try (HtpasswdRegistry registry = new HtpasswdRegistry(dir.resolve("registry"), "builder", password)) {
            AtomicInteger waits = new AtomicInteger();
            PushRetry retry = new PushRetry(3, Duration.ofMillis(200), (delay, ctx) -> {
                waits.incrementAndGet();
                PushRetry.UNTIL_ABORTED.await(delay, ctx);
            });
            String tag = registry.name() + "/denied-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
            Path src = Files.createDirectories(dir.resolve("src"));
            Files.writeString(src.resolve("Dockerfile"), "FROM local/busybox:1\nRUN echo " + tag + " > /marker\n");
            StepFixture step = new StepFixture(threads);
            // No credentials: the registry demands them, which no retry changes.
            ImageBuilder.Request request = new ImageBuilder.Request(BuildPlan.dockerfile(src), tag, "unused:buildcache",
                    false, Map.of(), "0".repeat(64), new RegistryAuth(registry.name(), "", ""),
                    Files.createDirectories(dir.resolve("work")), Duration.ofMinutes(2));
            try (BuildLog log = step.log(List.of())) {
                assertThatThrownBy(() -> new DockerImageBuilder(DockerCli.BINARY, "unused-frontend",
                        new ProcessRunner(dir.resolve("idle")), retry).build(request, log, step.ctx, () -> { }))
                        .isInstanceOf(BuildFailure.class)
                        .hasMessageStartingWith("the registry refused to let rhone push " + tag + " (")
                        .hasMessageContaining("check the registry credentials");
            }
            assertThat(waits.get()).isZero();
            assertThat(step.storedLog()).contains("Pushing " + tag).doesNotContain("retrying");

            // A wrong password: refused at once too, and never shown.
            String wrong = "wrong-" + UUID.randomUUID();
            ImageBuilder.Request wrongRequest = new ImageBuilder.Request(BuildPlan.dockerfile(src), tag,
                    "unused:buildcache", false, Map.of(), "0".repeat(64), new RegistryAuth(registry.name(), "builder",
                    wrong), Files.createDirectories(dir.resolve("work-2")), Duration.ofMinutes(2));
            StepFixture again = new StepFixture(threads);
            try (BuildLog log = again.log(List.of(wrong))) {
                assertThatThrownBy(() -> new DockerImageBuilder(DockerCli.BINARY, "unused-frontend",
                        new ProcessRunner(dir.resolve("idle")), retry).build(wrongRequest, log, again.ctx, () -> { }))
                        .isInstanceOf(BuildFailure.class)
                        .hasMessageStartingWith("the registry refused to let rhone push " + tag + " (")
                        .hasMessageNotContaining(wrong);
            }
            assertThat(waits.get()).isZero();
        }
    }

    @Test
    void aRegistryThatNeverAnswers_failsAfterTheLastRetry_withThePushErrorAndTheNumberOfTries() throws Exception {
        String tag = "127.0.0.1:" + ChildProcesses.freePort() + "/never-" + UUID.randomUUID().toString().substring(0, 8)
                + ":1"; // nobody listens there
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM local/busybox:1\nRUN echo " + tag + " > /marker\n");
        StepFixture step = new StepFixture(threads);
        ImageBuilder.Request request = new ImageBuilder.Request(BuildPlan.dockerfile(src), tag, "unused:buildcache",
                false, Map.of(), "0".repeat(64), new RegistryAuth(PushRetry.registryOf(tag), "", ""),
                Files.createDirectories(dir.resolve("work")), Duration.ofMinutes(2));
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> new DockerImageBuilder(DockerCli.BINARY, "unused-frontend",
                    new ProcessRunner(dir.resolve("idle")), new PushRetry(2, Duration.ofMillis(50)))
                    .build(request, log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessageStartingWith("pushing " + tag + " failed: ")
                    .hasMessageContaining("connection refused")
                    .hasMessageEndingWith(" (3 tries)");
        }
        assertThat(step.storedLog()).contains("retrying in 50 ms (attempt 2 of 3)")
                .contains("retrying in 100 ms (attempt 3 of 3)");
    }
}
