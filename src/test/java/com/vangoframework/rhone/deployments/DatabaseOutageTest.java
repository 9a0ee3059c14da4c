package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.util.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A build node that loses the database while a build runs: the database is taken out of that
 * node's reach (and only that node's) by a TCP proxy that breaks its connections and refuses new
 * ones, for longer than the lease. The build must go on, keep its attempt and its log lines, and
 * record its outcome when the database answers; unless another node has taken it meanwhile, in
 * which case exactly one build is recorded.
 */
class DatabaseOutageTest {

    private static final long LEASE_MILLIS = 1000;

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;
    private App app;
    private DatabaseProxy proxy;
    private final List<BuildQueue> queues = new ArrayList<>();
    private final Map<String, AtomicInteger> runsByNode = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> endsByNode = new ConcurrentHashMap<>();

    /** What a test build does between its first line and its push, with the node's log. */
    @FunctionalInterface
    interface Script {
        void run(BuildContext ctx, BuildLog log) throws Exception;
    }

    @BeforeEach
    void setUp() throws Exception {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        app = fx.app(fx.team("acme"), "web");
        proxy = new DatabaseProxy(db);
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy.restore();
        for (BuildQueue q : queues) {
            q.stop();
        }
        proxy.close();
    }

    private int maxAttempts = 2;

    private BuildsConfiguration config(int slots) {
        BuildsConfiguration c = new BuildsConfiguration();
        c.setMaxConcurrent(slots);
        c.setMaxAttempts(maxAttempts);
        c.setLeaseDuration(Duration.milliseconds(LEASE_MILLIS));
        c.setReapInterval(Duration.milliseconds(200));
        c.setPollInterval(Duration.milliseconds(200));
        c.setShutdownGrace(Duration.seconds(1));
        return c;
    }

    /** A node whose every connection (queue, logs, listener) goes through {@code target}. */
    private BuildQueue node(String name, DatabaseTarget target, int slots, Script script) {
        Jdbi nodeDb = TestPostgres.jdbi(target);
        LogStore logs = new LogStore(nodeDb.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("log-flusher-" + name));
        BuildPipeline pipeline = ctx -> {
            runsByNode.computeIfAbsent(name + ":" + ctx.deployment().id(), k -> new AtomicInteger()).incrementAndGet();
            try (BuildLog log = logs.open(ctx.deployment().id(), UnaryOperator.identity())) {
                log.line("started on " + name);
                ctx.advance(DeploymentStatus.ANALYZING);
                ctx.advance(DeploymentStatus.BUILDING);
                script.run(ctx, log);
                ctx.advance(DeploymentStatus.PUSHING);
                log.line("pushed on " + name);
            }
            endsByNode.computeIfAbsent(name + ":" + ctx.deployment().id(), k -> new AtomicInteger()).incrementAndGet();
            return new BuildPipeline.BuildResult("127.0.0.1:5000/web:" + name, "sha256:" + "0".repeat(64));
        };
        BuildQueue q = new BuildQueue(nodeDb.onDemand(DeploymentDao.class), nodeDb.onDemand(AppDao.class), pipeline,
                config(slots), name, target, new MetricRegistry(), Clock.systemUTC(), DeploymentEvents.NONE, logs);
        queues.add(q);
        q.start();
        return q;
    }

    private int runs(String node, Deployment d) {
        AtomicInteger n = runsByNode.get(node + ":" + d.id());
        return n == null ? 0 : n.get();
    }

    /** Runs of the pipeline that returned their image. */
    private int ends(String node, Deployment d) {
        AtomicInteger n = endsByNode.get(node + ":" + d.id());
        return n == null ? 0 : n.get();
    }

    private Deployment awaitStatus(Deployment d, DeploymentStatus status) {
        await().atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(50))
                .until(() -> fx.reload(d).status() == status);
        return fx.reload(d);
    }

    private Deployment awaitClaimedBy(Deployment d, String node, DeploymentStatus status) {
        await().atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(50))
                .until(() -> fx.reload(d).status() == status && node.equals(fx.reload(d).leaseOwner()));
        return fx.reload(d);
    }

    private List<String> logLines(Deployment d) {
        String log = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("log-reader")).read(d.id());
        return log.lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    private static void pass(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(20, TimeUnit.SECONDS)) {
            throw new AssertionError("the test build did not get there in 20 s");
        }
    }

    @Test
    void databaseOutOfReachForLongerThanTheLease_oneNode_buildIsBuiltOnItsFirstAttempt_withTheLinesWrittenMeanwhile()
            throws Exception {
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch cut = new CountDownLatch(1);
        CountDownLatch returned = new CountDownLatch(1);
        node("node-a", proxy.target(), 2, (ctx, log) -> {
            building.countDown();
            pass(cut);
            for (int i = 0; i < 100; i++) {
                log.line("written during the outage " + i);
                Thread.sleep(10);
            }
        });
        Deployment d = fx.pending(app);
        pass(building);
        awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        long cutAt = System.nanoTime();
        proxy.cut();
        cut.countDown();
        // The build ends while the database is still away: its outcome waits. The outage lasts
        // twice the lease (LogStoreTest keeps one past the log writer's last try).
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> ends("node-a", d) == 1
                && TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt) > 2 * LEASE_MILLIS);
        assertThat(fx.reload(d).status()).as("nothing reaches the database meanwhile").isEqualTo(DeploymentStatus.BUILDING);
        proxy.restore();

        Deployment built = awaitStatus(d, DeploymentStatus.BUILT);
        assertThat(built.attempt()).isEqualTo(1);
        assertThat(built.errorMessage()).isNull();
        assertThat(built.imageTag()).isEqualTo("127.0.0.1:5000/web:node-a");
        assertThat(runs("node-a", d)).as("runs of the build").isEqualTo(1);
        List<String> expected = new ArrayList<>();
        expected.add("started on node-a");
        for (int i = 0; i < 100; i++) {
            expected.add("written during the outage " + i);
        }
        expected.add("pushed on node-a");
        assertThat(logLines(d)).containsExactlyElementsOf(expected);
    }

    @Test
    void twoOutagesLongerThanTheLease_oneNode_buildIsStillBuilt_neverInterrupted() throws Exception {
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch outagesOver = new CountDownLatch(1);
        node("node-a", proxy.target(), 2, (ctx, log) -> {
            building.countDown();
            pass(outagesOver);
        });
        Deployment d = fx.pending(app);
        pass(building);
        awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        for (int outage = 0; outage < 2; outage++) {
            proxy.cut();
            Thread.sleep(2 * LEASE_MILLIS); // no wait for a condition: the node must simply not notice
            proxy.restore();
            java.time.Instant restoredAt = java.time.Instant.now();
            // The node renews once the database answers (every third of the lease).
            await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                Deployment now = fx.reload(d);
                return now.leaseExpiresAt() != null && now.leaseExpiresAt().isAfter(restoredAt);
            });
            Deployment running = fx.reload(d);
            assertThat(running.status()).isEqualTo(DeploymentStatus.BUILDING);
            assertThat(running.leaseOwner()).isEqualTo("node-a");
            assertThat(running.attempt()).isEqualTo(1);
        }
        outagesOver.countDown();

        Deployment built = awaitStatus(d, DeploymentStatus.BUILT);
        assertThat(built.attempt()).isEqualTo(1);
        assertThat(built.errorMessage()).isNull();
        assertThat(runs("node-a", d)).isEqualTo(1);
    }

    @Test
    void onlyNodeALosesTheDatabase_nodeBReapsAndBuildsIt_nodeADropsItsOutcome_oneBuildIsRecorded() throws Exception {
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch cut = new CountDownLatch(1);
        BuildQueue a = node("node-a", proxy.target(), 2, (ctx, log) -> {
            building.countDown();
            pass(cut);
            log.line("node-a wrote this while cut off");
        });
        Deployment d = fx.pending(app);
        pass(building);
        awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        proxy.cut();
        cut.countDown();
        node("node-b", db, 2, (ctx, log) -> { });

        // Node B reaps the lease once it has stayed expired for the grace, and builds it again.
        Deployment built = awaitStatus(d, DeploymentStatus.BUILT);
        assertThat(built.attempt()).isEqualTo(2);
        assertThat(built.imageTag()).isEqualTo("127.0.0.1:5000/web:node-b");
        assertThat(ends("node-a", d)).as("node A finished its run while cut off").isEqualTo(1);
        assertThat(a.runningIds()).as("node A holds its outcome").containsExactly(d.id());

        proxy.restore();
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> a.runningIds().isEmpty());
        Deployment after = fx.reload(d);
        assertThat(after.status()).isEqualTo(DeploymentStatus.BUILT);
        assertThat(after.imageTag()).isEqualTo("127.0.0.1:5000/web:node-b");
        assertThat(after.attempt()).isEqualTo(2);
        assertThat(after.updatedAt()).as("node A wrote nothing to the row").isEqualTo(built.updatedAt());
        assertThat(runs("node-b", d)).isEqualTo(1);
        assertThat(logLines(d)).doesNotContain("node-a wrote this while cut off", "pushed on node-a")
                .contains("pushed on node-b");
    }

    @Test
    void failedByTheReaperAtTheAttemptLimitWhileCutOff_theSentenceSaysTheNodeLostContact_andForHowLong()
            throws Exception {
        maxAttempts = 1;
        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch cut = new CountDownLatch(1);
        BuildQueue a = node("node-a", proxy.target(), 2, (ctx, log) -> {
            building.countDown();
            pass(cut);
        });
        Deployment d = fx.pending(app);
        pass(building);
        awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        proxy.cut();
        cut.countDown();
        node("node-b", db, 2, (ctx, log) -> { });
        Deployment interrupted = awaitStatus(d, DeploymentStatus.BUILD_FAILED);
        assertThat(interrupted.errorMessage()).isEqualTo(BuildQueue.INTERRUPTED_MESSAGE);

        proxy.restore();
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> a.runningIds().isEmpty());
        Deployment failed = fx.reload(d);
        assertThat(failed.status()).isEqualTo(DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).matches("the build's node lost contact with the database for [1-9][0-9]* s");
        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(runs("node-b", d)).isZero();
    }

    @Test
    void reapedWhileCutOff_andClaimedByNobody_theNodeTakesItsRowBack_onTheSameAttempt() throws Exception {
        // Node B's only slot is busy with another app's build: it reaps, but cannot claim.
        CountDownLatch releaseB = new CountDownLatch(1);
        App other = fx.app(fx.team("globex"), "other");
        Deployment blocker = fx.pending(other);
        node("node-b", db, 1, (ctx, log) -> pass(releaseB));
        awaitClaimedBy(blocker, "node-b", DeploymentStatus.BUILDING);

        CountDownLatch building = new CountDownLatch(1);
        CountDownLatch back = new CountDownLatch(1);
        node("node-a", proxy.target(), 2, (ctx, log) -> {
            building.countDown();
            pass(back);
            log.line("still node-a");
        });
        Deployment d = fx.pending(app);
        pass(building);
        awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        proxy.cut();
        Deployment reaped = awaitStatus(d, DeploymentStatus.PENDING);
        assertThat(reaped.attempt()).isEqualTo(1);
        proxy.restore();

        Deployment taken = awaitClaimedBy(d, "node-a", DeploymentStatus.BUILDING);
        assertThat(taken.attempt()).as("the outage spent no attempt").isEqualTo(1);
        back.countDown();
        Deployment built = awaitStatus(d, DeploymentStatus.BUILT);
        assertThat(built.attempt()).isEqualTo(1);
        assertThat(built.imageTag()).isEqualTo("127.0.0.1:5000/web:node-a");
        assertThat(runs("node-a", d)).isEqualTo(1);
        assertThat(runs("node-b", d)).isZero();
        assertThat(logLines(d)).containsExactly("started on node-a", "still node-a", "pushed on node-a");
        releaseB.countDown();
    }

    @Test
    void databaseOutOfReachForSeveralPolls_eachPollingTaskLogsOneStackTrace_thenOneLineWhenItAnswersAgain()
            throws Exception {
        List<ch.qos.logback.classic.Logger> loggers = List.of(BuildQueue.class, LeaseKeeper.class,
                com.vangoframework.rhone.db.PgListener.class).stream()
                .map(c -> (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(c)).toList();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        List<ch.qos.logback.classic.Level> levels = loggers.stream().map(ch.qos.logback.classic.Logger::getLevel)
                .toList();
        loggers.forEach(l -> {
            l.setLevel(ch.qos.logback.classic.Level.INFO);
            l.addAppender(logged);
        });
        try {
            BuildQueue q = node("node-a", proxy.target(), 1, (ctx, log) -> { });
            await().atMost(java.time.Duration.ofSeconds(10)).until(q::isListening);
            proxy.cut();
            // 3 s of outage: about 15 polls each of the dispatcher (200 ms) and the reaper (200 ms).
            Thread.sleep(3000);
            List<String> during = lines(logged);
            proxy.restore();
            await().atMost(java.time.Duration.ofSeconds(20)).until(() -> lines(logged).stream()
                    .filter(l -> l.contains("works again")).count() == 3);

            assertThat(during).as("one line per task during the outage, not one per poll").hasSize(3);
            assertThat(logged.list.stream().filter(e -> e.getThrowableProxy() != null).map(e ->
                    e.getFormattedMessage().substring(0, e.getFormattedMessage().indexOf(" failed")))).as(
                    "one stack trace per task").containsExactlyInAnyOrder("Claiming a build",
                    "Reaping expired build leases", "rhone-queue-listener listening for notifications");
            assertThat(lines(logged).stream().filter(l -> l.contains("works again")))
                    .allSatisfy(l -> assertThat(l).containsPattern("works again after \\d+ failures in \\d+ s"))
                    .anySatisfy(l -> assertThat(l).startsWith("Claiming a build works again after "));
        } finally {
            for (int i = 0; i < loggers.size(); i++) {
                loggers.get(i).detachAppender(logged);
                loggers.get(i).setLevel(levels.get(i));
            }
        }
    }

    private static List<String> lines(
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged) {
        synchronized (logged) {
            return logged.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.contains("fail") || l.contains("works again")).toList();
        }
    }
}
