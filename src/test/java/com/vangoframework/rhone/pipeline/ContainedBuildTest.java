package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
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
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile repositories through the whole service (real JGit smart-HTTP server, the local Docker
 * engine and registry): links out of the checkout and oversized trees fail with their sentence
 * before the analyzer runs, and a link that stays inside still builds. The service's railpack
 * only records that it was called.
 */
@NeedsDocker
class ContainedBuildTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");

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
    /** A host file next to the build work directories, as secret.key was by default; its bytes must never show. */
    static Path secret;
    static String marker;
    static Path railpackCalled;
    /** The commit the last {@link #build} pushed (a checkout refused early records none on the row). */
    static String lastSha;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        team = fx.team("contained");
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN);
        marker = "MARKER-" + UUID.randomUUID();
        Path workRoot = Files.createDirectories(TestService.workDirOf(dir.resolve("data")));
        secret = Files.writeString(workRoot.resolve("secret.key"), marker + "\n");
        railpackCalled = dir.resolve("railpack-was-called");
        Path railpack = Files.createDirectories(dir.resolve("bin")).resolve("railpack");
        Files.writeString(railpack, "#!/bin/sh\necho \"$@\" >> " + railpackCalled + "\nexit 1\n");
        assertThat(railpack.toFile().setExecutable(true)).isTrue();
        service = new TestService(db, dir.resolve("data"), null, app -> Optional.of(TOKEN),
                ConfigOverride.config("builder.registry", REGISTRY),
                ConfigOverride.config("builder.railpackBinary", railpack.toString()),
                ConfigOverride.config("builder.checkoutMaxBytes", String.valueOf(1024 * 1024)),
                ConfigOverride.config("builder.checkoutMaxFiles", "50")).start();
        deployments = new DeploymentService(jdbi);
        logFlusher = NamedThreads.scheduled("rhone-log-flusher");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    @AfterAll
    static void stop() throws Exception {
        service.stop();
        NamedThreads.stopNow(logFlusher, Duration.ofSeconds(5));
        git.close();
    }

    @AfterEach
    void railpackNeverRan() {
        assertThat(railpackCalled).as("railpack was run over the checkout").doesNotExist();
    }

    @Test
    void dockerfileSymlinkedToAnAbsoluteHostFile_failsWithTheSentence_andNoByteOfItIsLogged() throws Exception {
        Deployment failed = build(Map.of("README", "hi\n"), Map.of("Dockerfile", secret.toString()),
                DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("Dockerfile is a symlink to " + secret + ", outside the repository");
        assertNothingLeaked(failed);
    }

    @Test
    void dockerfileSymlinkedUpAndOut_failsWithTheSentence() throws Exception {
        // The checkout is <work dir>/deployment-N-…/src: ../../secret.key is the host file above.
        Deployment failed = build(Map.of("README", "hi\n"), Map.of("Dockerfile", "../../secret.key"),
                DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("Dockerfile is a symlink to ../../secret.key, outside the repository");
        assertNothingLeaked(failed);
    }

    @Test
    void nestedSymlinkOut_inARepositoryRailpackWouldAnalyze_failsBeforeRailpackRuns() throws Exception {
        Deployment failed = build(Map.of("index.html", "<h1>hi</h1>\n"),
                Map.of("sub/dir/link", "../../../../secret.key"), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage())
                .isEqualTo("sub/dir/link is a symlink to ../../../../secret.key, outside the repository");
        assertNothingLeaked(failed);
    }

    @Test
    void symlinksInsideTheTree_stillBuild() throws Exception {
        Deployment built = build(Map.of("docker/Dockerfile.prod",
                        "FROM local/busybox:1\nCOPY docker/hello.txt /hello\nRUN cat /hello\n",
                        // A fresh line each run: the engine's cache outlives test runs, and a cached
                        // RUN prints nothing.
                        "docker/hello.txt", "hello from inside " + UUID.randomUUID() + "\n"),
                Map.of("Dockerfile", "docker/Dockerfile.prod", "conf", "docker", "sub/up", "../docker/hello.txt"),
                DeploymentStatus.BUILT);
        assertThat(logs.read(built.id())).contains("Detected: Dockerfile (a symlink to docker/Dockerfile.prod)")
                .contains("hello from inside").contains("Pushed " + built.imageTag());
    }

    @Test
    void repositoryOverTheByteCap_failsWithTheCapSentence() throws Exception {
        Deployment failed = build(Map.of("big.bin", "a".repeat(4 * 1024 * 1024)), Map.of(),
                DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("the repository at " + lastSha.substring(0, 12)
                + " holds 4 MiB in 1 file, over this builder's checkout limit of 1 MiB (RHONE_CHECKOUT_MAX_BYTES)");
        assertThat(logs.read(failed.id())).contains("error: the repository at");
    }

    @Test
    void repositoryOverTheFileCap_failsWithTheCapSentence() throws Exception {
        Map<String, String> files = new HashMap<>();
        for (int i = 0; i < 51; i++) {
            files.put("f/" + i, "file " + i + "\n");
        }
        Deployment failed = build(files, Map.of(), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("the repository at " + lastSha.substring(0, 12)
                + " holds more than 50 files, over this builder's checkout limit of 50 files (RHONE_CHECKOUT_MAX_FILES)");
    }

    private static void assertNothingLeaked(Deployment failed) {
        assertThat(failed.errorMessage()).doesNotContain("see the build log").doesNotContain(marker);
        assertThat(logs.read(failed.id())).contains("error: " + failed.errorMessage()).doesNotContain(marker);
    }

    /** A repository of these files and links, served by the git server, deployed and awaited. */
    private static Deployment build(Map<String, String> files, Map<String, String> links, DeploymentStatus expected)
            throws Exception {
        String name = "contained-" + UUID.randomUUID().toString().substring(0, 8);
        Path repoDir = dir.resolve("repos").resolve(name);
        try (TestRepo repo = new TestRepo(repoDir)) {
            for (var link : links.entrySet()) {
                Path at = repoDir.resolve(link.getKey());
                Files.createDirectories(at.getParent());
                Files.createSymbolicLink(at, Path.of(link.getValue()));
            }
            lastSha = repo.commit("first: " + name, files);
        }
        App app = fx.gitApp(team, name, git.url(name), 600);
        Deployment d = deployments.request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + logs.read(d.id())).isEqualTo(expected);
        return done;
    }
}
