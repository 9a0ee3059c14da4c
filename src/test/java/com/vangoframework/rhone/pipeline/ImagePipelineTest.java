package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline for real: a JGit smart-HTTP server demanding the token, the local Docker
 * engine's BuildKit, and the local registry (ops/setup-local-builder prepares both).
 */
@NeedsDocker
class ImagePipelineTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    static GitServer git;
    static TestService service;
    static Jdbi jdbi;
    static Fixtures fx;
    static Team team;
    static DeploymentService deployments;
    static LogStore logs;
    static ScheduledExecutorService logFlusher;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        team = fx.team("builders");
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN);
        service = new TestService(db, dir.resolve("data"), null, app -> Optional.of(TOKEN),
                io.dropwizard.testing.ConfigOverride.config("builder.registry", REGISTRY)).start();
        deployments = new DeploymentService(jdbi);
        logFlusher = NamedThreads.scheduled("rhone-log-flusher");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    @AfterAll
    static void stop() throws Exception {
        service.stop();
        NamedThreads.stopNow(logFlusher, java.time.Duration.ofSeconds(5));
        git.close();
    }

    /** A repo named after the app, served by the git server, with one commit of these files. */
    private static String repo(String name, Map<String, String> files) throws Exception {
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            return repo.commit("first: " + name, files);
        }
    }

    private static App app(String name, int timeoutSeconds) {
        return fx.gitApp(team, name, git.url(name), timeoutSeconds);
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static Deployment deployAndWait(App app, String sha, DeploymentStatus expected) {
        Deployment d = deployments.request(NewDeployment.manual(app.id(), "main", sha));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + logs.read(d.id())).isEqualTo(expected);
        return done;
    }

    private static HttpResponse<String> manifest(String repo, String reference) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + REGISTRY + "/v2/" + repo + "/manifests/" + reference))
                        .header("Accept", "application/vnd.docker.distribution.manifest.v2+json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void dockerfileRepo_isBuiltAndPushed_andTheRegistryDigestMatches() throws Exception {
        String name = "web-" + unique();
        String sha = repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + name + " > /hello\n"));
        Deployment built = deployAndWait(app(name, 600), null, DeploymentStatus.BUILT);

        assertThat(built.commitSha()).isEqualTo(sha);
        assertThat(built.commitMessage()).isEqualTo("first: " + name);
        assertThat(built.commitAuthor()).isEqualTo("Ada Lovelace");
        assertThat(built.imageTag()).isEqualTo(REGISTRY + "/" + name + ":" + sha.substring(0, 12));
        HttpResponse<String> manifest = manifest(name, sha.substring(0, 12));
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(built.imageDigest());
        // Its size: config and layers of the manifest the registry stores, measured after the push.
        var stored = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest.body());
        long size = stored.get("config").get("size").asLong();
        for (var layer : stored.get("layers")) {
            size += layer.get("size").asLong();
        }
        assertThat(size).isPositive();
        assertThat(built.imageSizeBytes()).isEqualTo(size);

        String log = logs.read(built.id());
        assertThat(log).contains("Detected: Dockerfile").contains("RUN echo " + name).contains("Pushed " + built.imageTag());
        assertThat(log).contains("Image size: " + size + " bytes");
        assertThat(log).doesNotContain(TOKEN);
        assertThat(built.buildDurationMs()).isPositive();
        try (Stream<Path> left = Files.list(Files.createDirectories(TestService.workDirOf(dir.resolve("data"))))) {
            assertThat(left).as("work directories left behind").isEmpty();
        }
    }

    @Test
    void failingRunStep_failsWithBuildKitsErrorInTheLog_andOneSentenceNamingTheStep() throws Exception {
        String name = "broken-" + unique();
        repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo about to fail && exit 3\n"));
        Deployment failed = deployAndWait(app(name, 600), null, DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage())
                .isEqualTo("the image build failed: step [2/2] RUN echo about to fail && exit 3 failed with exit code 3");
        assertThat(logs.read(failed.id())).contains("about to fail").contains("ERROR");
    }

    @Test
    void aBuildStepThatRunsOutOfSpace_failsSayingNoSpaceLeftOnTheBuildNode() throws Exception {
        String name = "full-" + unique();
        // /dev/full answers every write with ENOSPC, as a full disk does.
        repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + name + " > /dev/full\n"));
        Deployment failed = deployAndWait(app(name, 600), null, DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).startsWith("no space left on the build node: ")
                .containsIgnoringCase("no space left on device").doesNotContain("\n");
    }

    @Test
    void cancelDuringASlowStep_endsCancelledQuickly_killsTheStep_andPushesNothing() throws Exception {
        String name = "slow-" + unique();
        String marker = "sleep " + (4000 + (int) (Math.random() * 1000));
        String sha = repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo start && " + marker + "\n"));
        Deployment d = deployments.request(NewDeployment.manual(app(name, 600).id(), "main", null));
        await().atMost(Duration.ofSeconds(60)).until(() -> logs.read(d.id()).contains("start"));
        long asked = System.nanoTime();
        deployments.cancel(fx.reload(d));
        await().atMost(Duration.ofSeconds(5)).until(() -> fx.reload(d).status() == DeploymentStatus.CANCELLED);
        System.out.printf("cancel took %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked));
        await().atMost(Duration.ofSeconds(10)).until(() -> !processRunning(marker));
        assertThat(manifest(name, sha.substring(0, 12)).statusCode()).isEqualTo(404);
    }

    @Test
    void buildPastTheAppTimeout_failsWithTheTimeoutMessage() throws Exception {
        String name = "late-" + unique();
        // A command line no other process on the machine has (a plain "sleep 120" once matched
        // someone's shell that was waiting on this very test run).
        String marker = "sleep " + (6000 + (int) (Math.random() * 1000));
        repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nRUN " + marker + "\n"));
        Deployment failed = deployAndWait(app(name, 5), null, DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).startsWith("timed out after 5 seconds");
        await().atMost(Duration.ofSeconds(10)).until(() -> !processRunning(marker));
    }

    @Test
    void secretEnvVar_reachesTheBuild_butNotTheLogNorTheImage() throws Exception {
        String name = "secret-" + unique();
        String value = "s3cr3t-" + unique();
        // BuildKit leaves secret values out of its cache keys; the secrets-hash build arg, declared
        // here, is what makes a changed value rebuild the steps that read it.
        repo(name, Map.of("Dockerfile", "FROM local/busybox:1\nARG secrets-hash\n"
                + "RUN --mount=type=secret,id=API_KEY echo \"seen: $(cat /run/secrets/API_KEY)\"\n"
                + "RUN --mount=type=secret,id=API_KEY wc -c < /run/secrets/API_KEY > /secret-length\n"));
        App app = app(name, 600);
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        EnvVarDao envVars = jdbi.onDemand(EnvVarDao.class);
        envVars.upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", "first-" + value));
        Deployment first = deployAndWait(app, null, DeploymentStatus.BUILT);
        assertThat(logs.read(first.id())).contains("seen: ****").doesNotContain("first-" + value);

        envVars.upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", value));
        Deployment built = deployAndWait(app, null, DeploymentStatus.BUILT);
        String log = logs.read(built.id());
        // The build read the value (the masker replaced it exactly where the step printed it).
        assertThat(log).contains("seen: ****").doesNotContain(value);
        assertThat(log).contains("--mount=type=secret,id=API_KEY");
        run("/usr/bin/docker", "pull", built.imageTag()); // the builder removed its local copy after pushing
        String history = run("/usr/bin/docker", "history", "--no-trunc", built.imageTag());
        String config = run("/usr/bin/docker", "image", "inspect", built.imageTag());
        assertThat(history + config).doesNotContain(value);
        String length = run("/usr/bin/docker", "run", "--rm", built.imageTag(), "cat", "/secret-length").strip();
        assertThat(length).isEqualTo(String.valueOf(value.length()));
    }

    @Test
    void requestedOlderCommit_buildsThatCommit() throws Exception {
        String name = "history-" + unique();
        String first;
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            first = repo.commit("one", Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo one > /v\n"));
            repo.commit("two", Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo two > /v\n"));
        }
        Deployment built = deployAndWait(app(name, 600), first, DeploymentStatus.BUILT);
        assertThat(built.commitSha()).isEqualTo(first);
        assertThat(built.commitMessage()).isEqualTo("one");
        assertThat(built.imageTag()).endsWith(":" + first.substring(0, 12));
        run("/usr/bin/docker", "pull", "--quiet", built.imageTag());
        assertThat(run("/usr/bin/docker", "run", "--rm", built.imageTag(), "cat", "/v").strip()).isEqualTo("one");
    }

    @Test
    void badRepositoryMissingBranchUnknownCommit_failClearly_andTheQueueMovesOn() throws Exception {
        Deployment noRepo = deployAndWait(app("missing-" + unique(), 600), null, DeploymentStatus.BUILD_FAILED);
        assertThat(noRepo.errorMessage()).contains("was not found or rhone has no access");

        String name = "branchless-" + unique();
        repo(name, Map.of("Dockerfile", "FROM local/busybox:1\n"));
        App other = fx.gitApp(team, name + "-dev", git.url(name), 600);
        jdbi.useHandle(h -> h.execute("UPDATE apps SET branch = 'develop' WHERE id = ?", other.id()));
        Deployment d = deployments.request(NewDeployment.manual(other.id(), "develop", null));
        await().atMost(Duration.ofSeconds(60)).until(() -> fx.reload(d).status().isBuildFinished());
        assertThat(fx.reload(d).errorMessage()).isEqualTo("branch develop was not found in " + git.url(name)
                + ": push it, or change the app's branch");

        String ghost = "0123456789abcdef0123456789abcdef01234567";
        Deployment unknown = deployAndWait(app(name, 600), ghost, DeploymentStatus.BUILD_FAILED);
        assertThat(unknown.errorMessage()).startsWith("commit " + ghost + " was not found in ");

        // The queue is not stuck behind failures.
        deployAndWait(fx.gitApp(team, name + "-ok", git.url(name), 600), null, DeploymentStatus.BUILT);
    }

    @Test
    void repoWithoutDockerfile_andNoRailpack_saysRailpackIsNotInstalled() throws Exception {
        String name = "nodocker-" + unique();
        repo(name, Map.of("index.html", "<h1>hi</h1>\n"));
        Deployment failed = deployAndWait(app(name, 600), null, DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo(RailpackAnalyzer.NOT_INSTALLED);
    }

    @Test
    void builderHealthCheck_reportsTheDockerEngine() throws Exception {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(service.adminUrl() + "/healthcheck"))
                .build(), HttpResponse.BodyHandlers.ofString());
        var builder = new com.fasterxml.jackson.databind.ObjectMapper().readTree(health.body()).get("builder");
        assertThat(builder.get("healthy").asBoolean()).isTrue();
        assertThat(builder.get("message").asText()).startsWith("local Docker engine (/usr/bin/docker) answers: ");
        HealthCheckProbe missing = new HealthCheckProbe(new BuilderHealthCheck(new ProcessRunner(dir.resolve("idle-home")),
                java.util.List.of(dir.resolve("no-docker").toString(), "version"), "local Docker engine"));
        assertThat(missing.healthy()).isFalse();
        assertThat(missing.message()).contains("cannot be started");
    }

    private record HealthCheckProbe(boolean healthy, String message) {
        HealthCheckProbe(com.codahale.metrics.health.HealthCheck check) {
            this(check.execute().isHealthy(), check.execute().getMessage());
        }
    }

    static boolean processRunning(String commandLine) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(commandLine));
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
