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

    @BeforeEach
    void setUp() {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        deployment = fx.pending(fx.app(fx.team("acme"), "web"));
        steps = jdbi.onDemand(StepDao.class);
        StepDao counted = (StepDao) Proxy.newProxyInstance(StepDao.class.getClassLoader(),
                new Class<?>[] {StepDao.class}, (proxy, method, args) -> {
                    if (method.getName().equals("stepsChangedAfter")) {
                        boolean reader = Thread.currentThread().getName().startsWith("rhone-live-logs-");
                        (reader ? feedReads : viewerReads).incrementAndGet();
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
        Instant t0 = Instant.parse("2026-12-02T10:00:00Z");
        return new StepDao.StoredStep(deployment.id(), 1, vertex, "[" + vertex + "/5] RUN step " + vertex, "", false,
                status, t0, "running".equals(status) ? null : t0.plusSeconds(1),
                "running".equals(status) ? null : 1000L, null, null, "", 0, 0);
    }

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
}
