package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live fan-out of build steps on one node: the step changes of a watched build are read once
 * per change for all its viewers (as its log chunks are), and each viewer gets every step as last
 * changed.
 */
class LiveStepsTest {

    private static final int VIEWERS = 50;
    private Jdbi jdbi;
    private Deployment deployment;
    private StepDao steps;
    private LiveLogs live;
    /** Reads of step changes made on the live logs' own reader threads, and on any other thread. */
    private final AtomicInteger feedReads = new AtomicInteger();
    private final AtomicInteger viewerReads = new AtomicInteger();
    /** Reads of the phases, on the readers and on any other thread. */
    private final AtomicInteger feedPhaseReads = new AtomicInteger();
    private final AtomicInteger viewerPhaseReads = new AtomicInteger();

    @BeforeEach
    void setUp() {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        deployment = fx.pending(fx.app(fx.team("acme"), "web"));
        steps = jdbi.onDemand(StepDao.class);
        StepDao counted = (StepDao) Proxy.newProxyInstance(StepDao.class.getClassLoader(),
                new Class<?>[] {StepDao.class}, (proxy, method, args) -> {
                    boolean reader = Thread.currentThread().getName().startsWith("rhone-live-logs-");
                    if (method.getName().equals("stepsChangedAfter")) {
                        (reader ? feedReads : viewerReads).incrementAndGet();
                    } else if (method.getName().equals("latestPhases") || method.getName().equals("phases")) {
                        (reader ? feedPhaseReads : viewerPhaseReads).incrementAndGet();
                    }
                    try {
                        return method.invoke(steps, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        live = new LiveLogs(db, jdbi.onDemand(LogChunkDao.class), jdbi.onDemand(DeploymentDao.class), counted);
        live.start();
        await().atMost(Duration.ofSeconds(10)).until(live::isConnected);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        live.stop();
    }

    private StepDao.StoredStep step(int vertex, String status) {
        return step(vertex, status, "");
    }

    private StepDao.StoredStep step(int vertex, String status, String lastLines) {
        return new StepDao.StoredStep(deployment.id(), 1, vertex, "[" + vertex + "/5] RUN step " + vertex, "", false,
                status, T0, "running".equals(status) ? null : T0.plusSeconds(1),
                "running".equals(status) ? null : 1000L, null, null, lastLines, 0, 0);
    }

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void fiftyViewersOfOneBuild_costOneReadPerStepChange_andEachSeesEveryStepAsLastChanged() {
        List<LiveLogs.Subscription> subs = new ArrayList<>();
        for (int i = 0; i < VIEWERS; i++) {
            subs.add(live.subscribe(deployment));
        }
        // The feed's first read (whatever was there before) is done once its version moved.
        await().atMost(Duration.ofSeconds(10)).until(() -> subs.get(0).version() > 0);
        int changes = 0;
        for (int v = 1; v <= 5; v++) {
            int vertex = v;
            steps.upsertSteps(List.of(step(vertex, "running")));
            steps.upsertSteps(List.of(step(vertex, vertex % 2 == 0 ? "cached" : "done")));
            changes += 2;
            await().atMost(Duration.ofSeconds(10)).until(() -> subs.get(VIEWERS - 1).stepsAfter(0).stream()
                    .anyMatch(s -> s.vertex() == vertex && !"running".equals(s.status())));
        }

        for (LiveLogs.Subscription sub : subs) {
            List<StepDao.StoredStep> seen = sub.stepsAfter(0);
            assertThat(seen).extracting(StepDao.StoredStep::vertex).containsExactly(1, 2, 3, 4, 5);
            assertThat(seen).extracting(StepDao.StoredStep::status)
                    .containsExactly("done", "cached", "done", "cached", "done");
            long third = seen.get(2).changeSeq();
            assertThat(sub.stepsAfter(third)).extracting(StepDao.StoredStep::vertex).containsExactly(4, 5);
        }
        assertThat(feedReads.get()).as("one read per change at most, for all %d viewers", VIEWERS)
                .isLessThanOrEqualTo(1 + changes);
        assertThat(viewerReads.get()).as("viewers read the feed's memory, not the database").isZero();
        subs.forEach(LiveLogs.Subscription::close);
    }

    @Test
    void deletedSteps_areForgottenByTheFeed_soNoViewerFreshOrOldIsServedThem_andTheResetPointSaysWhere() {
        LiveLogs.Subscription old = live.subscribe(deployment);
        await().atMost(Duration.ofSeconds(10)).until(() -> old.version() > 0);
        assertThat(old.resetPoint()).as("never deleted").isZero();
        steps.upsertSteps(List.of(step(1, "done"), step(2, "done"), step(3, "error")));
        await().atMost(Duration.ofSeconds(10)).until(() -> old.stepsAfter(0).size() == 3);
        long before = old.stepsAfter(0).get(2).changeSeq();

        // BuildKit runs again: its steps are numbered from #1 again, the first run's rows go.
        steps.deleteSteps(deployment.id(), 1);
        steps.upsertSteps(List.of(step(1, "running")));
        await().atMost(Duration.ofSeconds(10)).until(() -> old.resetPoint() > before
                && old.stepsAfter(0).stream().anyMatch(s -> "running".equals(s.status())));

        long reset = old.resetPoint();
        assertThat(reset).isEqualTo(steps.resetPoint(deployment.id()));
        assertThat(old.stepsAfter(0)).as("only the row that is there now")
                .extracting(StepDao.StoredStep::vertex, StepDao.StoredStep::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "running"));
        assertThat(old.stepsAfter(0).get(0).changeSeq()).as("numbered after the reset point").isGreaterThan(reset);
        try (LiveLogs.Subscription fresh = live.subscribe(deployment)) {
            assertThat(fresh.stepsAfter(0)).extracting(StepDao.StoredStep::vertex).containsExactly(1);
            assertThat(fresh.resetPoint()).isEqualTo(reset);
        }
        assertThat(viewerReads.get()).as("from the feed's memory").isZero();
        old.close();
    }

    @Test
    void phasesWrittenAfterTheStatusMoved_reachEveryViewer_readOncePerChangeForAllOfThem() {
        List<LiveLogs.Subscription> subs = new ArrayList<>();
        for (int i = 0; i < VIEWERS; i++) {
            subs.add(live.subscribe(deployment));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> subs.get(0).phases() != null);
        assertThat(subs.get(0).phases()).isEmpty();
        // The status moved long ago; the phases are written by the recorder's next round.
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'building' WHERE id = ?", deployment.id()));
        steps.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 1, "queued", T0, T0.plusSeconds(1)),
                new StepDao.StoredPhase(deployment.id(), 1, "clone", T0.plusSeconds(1), null)));
        steps.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 1, "clone", T0.plusSeconds(1),
                T0.plusSeconds(2))));
        await().atMost(Duration.ofSeconds(10)).until(() -> subs.stream().allMatch(s -> s.phases() != null
                && s.phases().stream().anyMatch(p -> "clone".equals(p.phase()) && p.endedAt() != null)));

        assertThat(subs.get(VIEWERS - 1).phases()).extracting(StepDao.StoredPhase::phase)
                .containsExactly("queued", "clone");
        assertThat(viewerPhaseReads.get()).as("no viewer reads the phases itself").isZero();
        assertThat(feedPhaseReads.get()).as("one read per change at most, for all %d viewers", VIEWERS)
                .isLessThanOrEqualTo(3);
        subs.forEach(LiveLogs.Subscription::close);
    }

    @Test
    void theFeedsStepMemory_staysWithinItsByteBudget_andAViewerFarBehindReadsTheRestFromTheDatabase() {
        LiveLogs.Subscription sub = live.subscribe(deployment);
        await().atMost(Duration.ofSeconds(10)).until(() -> sub.version() > 0);
        String lines = "x".repeat(32 * 1024); // 64 KiB held per step: 40 of them would be 2.5 MiB
        for (int v = 1; v <= 40; v += 10) {
            List<StepDao.StoredStep> batch = new ArrayList<>();
            for (int k = v; k < v + 10; k++) {
                batch.add(step(k, "done", lines));
            }
            steps.upsertSteps(batch);
        }
        long last = steps.steps(deployment.id(), 1).stream().mapToLong(StepDao.StoredStep::changeSeq).max()
                .orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> sub.stepsAfter(last - 1).stream()
                .anyMatch(s -> s.vertex() == 40));
        int readsBefore = viewerReads.get();

        assertThat(sub.stepBytes()).isPositive().isLessThanOrEqualTo(LiveFeed.MAX_STEP_BYTES);
        assertThat(sub.stepsAfter(last - 1)).as("the newest from memory").extracting(StepDao.StoredStep::vertex)
                .containsExactly(40);
        assertThat(viewerReads.get()).isEqualTo(readsBefore);
        assertThat(sub.stepsAfter(0)).as("the oldest, forgotten, from the database")
                .extracting(StepDao.StoredStep::vertex).startsWith(1, 2, 3).hasSize(40);
        assertThat(viewerReads.get()).isEqualTo(readsBefore + 1);
        sub.close();
    }
}
