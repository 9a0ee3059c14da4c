package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.DeploymentDao.ClaimRequest;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Progress writes leave the build's thread but reach the row in order, fenced by the lease. */
class BuildContextTest {

    private final ExecutorService writer = Executors.newFixedThreadPool(3);
    private Jdbi jdbi;
    private DeploymentDao dao;
    private Fixtures fx;
    private App app;

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        dao = jdbi.onDemand(DeploymentDao.class);
        fx = new Fixtures(jdbi);
        app = fx.app(fx.team("acme"), "web");
    }

    @AfterEach
    void tearDown() {
        writer.shutdownNow();
    }

    private BuildContext claimed(DeploymentEvents events) {
        fx.pending(app);
        Deployment d = dao.claimNext(new ClaimRequest("node-a", 60_000)).orElseThrow();
        return new BuildContext(d, app, dao, events, writer, Runnable::run);
    }

    @Test
    void theBuildDoesNotWaitForItsProgress_andPhasesPassedMeanwhileAreWrittenAsOne() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        List<Long> published = new CopyOnWriteArrayList<>();
        DeploymentEvents events = new DeploymentEvents();
        BuildContext ctx = claimed(events);
        // The first listener call blocks the writer: the build must go on regardless.
        events.subscribe(id -> {
            published.add(id);
            try {
                hold.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ctx.recordCommit("a".repeat(40), "message", "Ada");
        ctx.advance(DeploymentStatus.ANALYZING);
        ctx.advance(DeploymentStatus.BUILDING);
        ctx.advance(DeploymentStatus.PUSHING);
        assertThat(ctx.status()).isEqualTo(DeploymentStatus.PUSHING);
        assertThat(ctx.recordedStatus()).isEqualTo(DeploymentStatus.CLONING); // the writer is held up
        hold.countDown();
        ctx.awaitWrites();
        assertThat(ctx.recordedStatus()).isEqualTo(DeploymentStatus.PUSHING);
        Deployment row = fx.reload(ctx.deployment());
        assertThat(row.status()).isEqualTo(DeploymentStatus.PUSHING);
        assertThat(row.commitSha()).isEqualTo("a".repeat(40));
        // The commit, then one move from cloning straight to pushing: the phases the build passed
        // while the writer was held up are not written one by one. One event per committed write.
        assertThat(published).hasSize(2);
    }

    @Test
    void aWriteThatFindsTheLeaseGone_abortsTheBuild() throws Exception {
        BuildContext ctx = claimed(new DeploymentEvents());
        // Another node took the row over (as the reaper and a new claim would).
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET lease_owner = 'node-b', attempt = attempt + 1 WHERE id = ?",
                ctx.deployment().id()));
        ctx.advance(DeploymentStatus.ANALYZING);
        await().atMost(Duration.ofSeconds(5)).until(ctx::isAborted);
        assertThat(ctx.abortReason()).isEqualTo(BuildContext.AbortReason.LEASE_LOST);
        assertThatThrownBy(() -> ctx.advance(DeploymentStatus.BUILDING))
                .isInstanceOf(BuildContext.BuildAbortedException.class);
        ctx.awaitWrites();
        assertThat(ctx.recordedStatus()).isEqualTo(DeploymentStatus.CLONING);
        assertThat(fx.reload(ctx.deployment()).status()).isEqualTo(DeploymentStatus.CLONING); // untouched
    }

    @Test
    void aFailedWrite_doesNotStopLaterOnes_andTheRecordedStatusSaysWhereTheRowIs() throws Exception {
        BuildContext ctx = claimed(new DeploymentEvents());
        // The commit's statement fails (a constraint refuses its author); the phase's does not.
        // (Renaming a column would break the notify trigger, which reads the commit columns on
        // every update, and with it the phase's write too.)
        jdbi.useHandle(h -> h.execute("ALTER TABLE deployments ADD CONSTRAINT refuse_ada "
                + "CHECK (commit_author IS DISTINCT FROM 'Ada')"));
        try {
            ctx.recordCommit("b".repeat(40), "m", "Ada");
            ctx.advance(DeploymentStatus.ANALYZING);
            ctx.awaitWrites(); // logs the failure, does not throw: the outcome can still be recorded
        } finally {
            jdbi.useHandle(h -> h.execute("ALTER TABLE deployments DROP CONSTRAINT refuse_ada"));
        }
        assertThat(ctx.isAborted()).isFalse();
        assertThat(ctx.recordedStatus()).isEqualTo(DeploymentStatus.ANALYZING);
        Deployment row = fx.reload(ctx.deployment());
        assertThat(row.status()).isEqualTo(DeploymentStatus.ANALYZING);
        assertThat(row.commitSha()).isNull();
    }

    @Test
    void movesTheStatusDoesNotAllow_failAtOnceOnTheBuildsThread() {
        BuildContext ctx = claimed(new DeploymentEvents());
        assertThatThrownBy(() -> ctx.advance(DeploymentStatus.PUSHING)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ctx.advance(DeploymentStatus.BUILT)).isInstanceOf(IllegalStateException.class);
    }
}
