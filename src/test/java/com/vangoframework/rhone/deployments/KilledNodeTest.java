package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.ChildNode;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.NeedsChildProcesses;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rhone nodes as real OS processes, killed with SIGKILL in the middle of a build: no graceful
 * stop, no shutdown hook. The lease is all that is left, and a surviving node must act on it.
 */
@NeedsChildProcesses
class KilledNodeTest {

    @TempDir
    Path dir;

    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;
    private App app;
    private Process child;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        app = fx.app(fx.team("acme"), "web");
    }

    @AfterEach
    void tearDown() {
        if (child != null) {
            child.destroyForcibly();
        }
    }

    private Process startChild(String name) throws Exception {
        Path data = Files.createDirectories(dir.resolve(name));
        return ChildProcesses.java(dir.resolve(name + ".log"), List.of(
                        "-Ddw.database.url=" + db.jdbcUrl(),
                        "-Ddw.database.user=" + db.user(),
                        "-Ddw.database.password=" + db.password(),
                        "-Ddw.dataDir=" + data,
                        "-Ddw.secretKey=" + TestService.SECRET_KEY,
                        "-Ddw.server.applicationConnectors[0].port=0",
                        "-Ddw.server.adminConnectors[0].port=0",
                        "-Ddw.builds.leaseDuration=3s",
                        "-Ddw.builds.reapInterval=500ms",
                        "-Ddw.builds.shutdownGrace=1s",
                        "-Ddw.builds.nodeId=" + name),
                ChildNode.class.getName(), "server", Path.of("config.yml").toAbsolutePath().toString());
    }

    private String readLog(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits until the child process named {@code node} runs the deployment, then SIGKILLs it. */
    private void killWhileBuilding(Deployment d, String node, int attempt) throws Exception {
        child = startChild(node);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Deployment now = fx.reload(d);
            return now.status().isActive() && node.equals(now.leaseOwner()) && now.attempt() == attempt;
        });
        child.destroyForcibly(); // SIGKILL on Linux
        assertThat(child.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isEqualTo(137);
        // The row still says the dead node is building it.
        assertThat(fx.reload(d).leaseOwner()).isEqualTo(node);
    }

    @Test
    void killedMidBuild_isRequeuedByTheSurvivor_andFinishes() throws Exception {
        Deployment d = fx.pending(app);
        killWhileBuilding(d, "doomed", 1);

        ScriptedPipeline survivorPipeline = new ScriptedPipeline().then(ScriptedPipeline.sleep(100));
        TestService survivor = new TestService(db, dir.resolve("survivor"), survivorPipeline).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILT);
            assertThat(fx.reload(d).attempt()).isEqualTo(2);
            assertThat(survivorPipeline.runsOf(d.id())).isEqualTo(1);
        } finally {
            survivor.stop();
        }
    }

    @Test
    void sigterm_handsTheRunningBuildBackToTheQueue_withoutSpendingAnAttempt() throws Exception {
        Deployment d = fx.pending(app);
        child = startChild("leaving");
        // Once Jetty has started, its shutdown hook is in place (a SIGTERM during start-up just exits).
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> fx.reload(d).status().isActive() && readLog("leaving").contains("Started oejs.Server"));
        child.destroy(); // SIGTERM: Dropwizard's graceful stop
        assertThat(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        Deployment after = fx.reload(d);
        assertThat(after.status()).as(() -> "node log:\n" + readLog("leaving")).isEqualTo(DeploymentStatus.PENDING);
        assertThat(after.attempt()).isZero();
        assertThat(after.leaseOwner()).isNull();
    }

    @Test
    void lostTwice_failsWithTheInterruptedMessage() throws Exception {
        Deployment d = fx.pending(app);
        killWhileBuilding(d, "first", 1);
        // The second node reaps the first one's lease, claims the build again, and dies too.
        killWhileBuilding(d, "second", 2);

        ScriptedPipeline survivorPipeline = new ScriptedPipeline();
        TestService survivor = new TestService(db, dir.resolve("survivor"), survivorPipeline).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILD_FAILED);
            Deployment failed = fx.reload(d);
            assertThat(failed.errorMessage()).isEqualTo("interrupted: the build node stopped");
            assertThat(failed.leaseOwner()).isNull();
            assertThat(survivorPipeline.runsOf(d.id())).isZero();
        } finally {
            survivor.stop();
        }
    }
}
