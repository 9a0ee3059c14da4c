package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import io.dropwizard.util.Duration;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database itself stalls (every PostgreSQL process stopped with SIGSTOP, then SIGCONT) for
 * longer than the lease, under two nodes. When it answers again every node's statements go through
 * at once: the reaper of the idle node must not take the running node's build before that node
 * has renewed. A PostgreSQL of its own: the shared test server is never stopped.
 */
class DatabaseStallTest {

    private static final long LEASE_MILLIS = 1500;

    @TempDir
    Path dir;

    private EmbeddedPostgres pg;
    private List<Long> stopped = List.of();
    private final List<BuildQueue> queues = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        signal("-CONT", stopped);
        for (BuildQueue q : queues) {
            q.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private BuildQueue node(String name, Jdbi jdbi, DatabaseTarget target, ScriptedPipeline pipeline) {
        BuildsConfiguration c = new BuildsConfiguration();
        c.setMaxConcurrent(2);
        c.setLeaseDuration(Duration.milliseconds(LEASE_MILLIS));
        c.setReapInterval(Duration.milliseconds(200));
        c.setPollInterval(Duration.milliseconds(200));
        c.setShutdownGrace(Duration.seconds(1));
        BuildQueue q = new BuildQueue(jdbi.onDemand(DeploymentDao.class), jdbi.onDemand(AppDao.class), pipeline, c,
                name, target, new MetricRegistry(), Clock.systemUTC());
        queues.add(q);
        q.start();
        return q;
    }

    /** The postmaster (from its pid file) and every process under it. */
    private List<Long> postgresProcesses(Path data) throws Exception {
        long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        List<Long> pids = new ArrayList<>();
        pids.add(postmaster);
        ProcessHandle.of(postmaster).orElseThrow().descendants().forEach(p -> pids.add(p.pid()));
        return pids;
    }

    private static void signal(String signal, List<Long> pids) throws Exception {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("kill", signal));
        pids.forEach(p -> command.add(Long.toString(p)));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aStallOfTheDatabaseItselfLongerThanTheLease_theIdleNodeDoesNotReapTheRunningBuild() throws Exception {
        Path data = dir.resolve("pg");
        pg = EmbeddedPostgres.builder().setDataDirectory(data).start();
        DatabaseTarget target = new DatabaseTarget(pg.getJdbcUrl("postgres", "postgres"), "postgres", "");
        Database.migrate(target);
        Jdbi jdbi = TestPostgres.jdbi(target);
        Fixtures fx = new Fixtures(jdbi);
        App app = fx.app(fx.team("acme"), "web");

        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedPipeline onA = new ScriptedPipeline().then(ctx -> {
            building.countDown();
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
        });
        ScriptedPipeline onB = new ScriptedPipeline(onA);
        node("node-a", jdbi, target, onA);
        Deployment d = fx.pending(app);
        assertThat(building.await(20, TimeUnit.SECONDS)).isTrue();
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILDING);
        node("node-b", jdbi, target, onB);

        stopped = postgresProcesses(data);
        signal("-STOP", stopped);
        var probe = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()));
        Thread.sleep(2 * LEASE_MILLIS); // the database answers nobody meanwhile
        assertThat(probe).as("a query during the stall").isNotDone();
        signal("-CONT", stopped);
        stopped = List.of();
        Instant resumed = Instant.now();
        assertThat(probe.get(20, TimeUnit.SECONDS)).isEqualTo(1);

        // Node A renews once its statements go through; node B's reaper, which ran at the same
        // moment, only noted the expired lease. Give it a grace and more to do otherwise.
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> {
            Deployment now = fx.reload(d);
            return now.leaseExpiresAt() != null && now.leaseExpiresAt().isAfter(resumed);
        });
        Thread.sleep(LEASE_MILLIS * 2);
        Deployment running = fx.reload(d);
        assertThat(running.status()).isEqualTo(DeploymentStatus.BUILDING);
        assertThat(running.leaseOwner()).isEqualTo("node-a");
        release.countDown();

        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILT);
        Deployment built = fx.reload(d);
        assertThat(built.attempt()).isEqualTo(1);
        assertThat(onA.runsOf(d.id())).as("runs of the build, on both nodes").isEqualTo(1);
    }
}
