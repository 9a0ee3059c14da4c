package com.vangoframework.rhone.deployments;

import static com.vangoframework.rhone.testing.ScriptedPipeline.blockUntilAborted;
import static com.vangoframework.rhone.testing.ScriptedPipeline.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import io.dropwizard.util.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue of one node against real PostgreSQL: claims, outcomes, cancel, timeout, shutdown, wake-ups. */
class BuildQueueTest {

    private DatabaseTarget target;
    private Jdbi jdbi;
    private Fixtures fx;
    private Team team;
    private final List<BuildQueue> queues = new ArrayList<>();
    private DeploymentService service;

    @BeforeEach
    void setUp() {
        target = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(target);
        fx = new Fixtures(jdbi);
        team = fx.team("acme");
        service = new DeploymentService(jdbi);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (BuildQueue q : queues) {
            q.stop();
        }
    }

    private BuildQueue queue(BuildPipeline pipeline, BuildsConfiguration config) {
        BuildQueue q = new BuildQueue(jdbi.onDemand(DeploymentDao.class), jdbi.onDemand(AppDao.class), pipeline,
                config, "node-" + queues.size(), target, new MetricRegistry(), Clock.systemUTC());
        queues.add(q);
        q.start();
        return q;
    }

    private static BuildsConfiguration config() {
        BuildsConfiguration c = new BuildsConfiguration();
        c.setMaxConcurrent(2);
        c.setLeaseDuration(Duration.seconds(3));
        c.setReapInterval(Duration.milliseconds(500));
        c.setShutdownGrace(Duration.seconds(1));
        return c;
    }

    private Deployment awaitStatus(Deployment d, DeploymentStatus status) {
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> fx.reload(d).status() == status);
        return fx.reload(d);
    }

    @Test
    void pendingDeployment_isBuiltWithImageAndDuration() {
        queue(new ScriptedPipeline(), config());
        App app = fx.app(team, "web");
        Deployment built = awaitStatus(service.request(NewDeployment.manual(app.id(), "main", null)),
                DeploymentStatus.BUILT);
        assertThat(built.imageTag()).isEqualTo("127.0.0.1:5000/web:test");
        assertThat(built.imageDigest()).startsWith("sha256:");
        assertThat(built.buildDurationMs()).isNotNull();
        assertThat(built.leaseOwner()).isNull();
    }

    @Test
    void buildFailure_recordsTheUsersSentence() {
        queue(new ScriptedPipeline().then(ctx -> {
            throw new BuildFailure("branch main not found: check the app's branch");
        }), config());
        App app = fx.app(team, "web");
        Deployment failed = awaitStatus(fx.pending(app), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("branch main not found: check the app's branch");
    }

    @Test
    void nulInTheFailureSentenceAndTheCommit_isRecordedOnce_withVisibleSymbols() {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(ctx -> {
            ctx.recordCommit("d".repeat(40), "fix\0the\u0007bell\n\tsecond line", "Mallory\0 <m@example.com>");
            throw new BuildFailure("Dockerfile:3 says \0\u001b[31mno\u001b[0m");
        });
        queue(pipeline, config());
        App app = fx.app(team, "web");
        Deployment failed = awaitStatus(fx.pending(app), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("Dockerfile:3 says \u2400\u001b[31mno\u001b[0m");
        assertThat(failed.commitMessage()).isEqualTo("fix\u2400the\u2407bell\n\tsecond line");
        assertThat(failed.commitAuthor()).isEqualTo("Mallory\u2400 <m@example.com>");
        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(pipeline.runs.get(failed.id()).get()).as("runs of the build").isEqualTo(1);
    }

    @Test
    void nulInARequestsCommitMessageAndAuthor_isStoredWithTheSymbol() {
        App app = fx.app(team, "web");
        Deployment requested = service.request(new NewDeployment(app.id(), DeploymentTrigger.PUSH, "main",
                "e".repeat(40), "pushed\0message", "Eve\u0001", null, null));
        Deployment stored = fx.reload(requested);
        assertThat(stored.commitMessage()).isEqualTo("pushed\u2400message");
        assertThat(stored.commitAuthor()).isEqualTo("Eve\u2401");
    }

    @Test
    void aPipelineThatClaimsAnImageWithoutReachingPush_isRecordedAsAFailureNotBuilt() {
        queue(ctx -> new BuildPipeline.BuildResult("127.0.0.1:5000/web:test", "sha256:" + "0".repeat(64)),
                config());
        App app = fx.app(team, "web");
        Deployment failed = awaitStatus(fx.pending(app), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("the builder stopped in the cloning phase without a result");
        assertThat(failed.imageTag()).isNull();
    }

    @Test
    void unexpectedException_failsWithAReferenceNotTheStackTrace() {
        queue(new ScriptedPipeline().then(ctx -> {
            throw new IllegalStateException("secret internals");
        }), config());
        Deployment failed = awaitStatus(fx.pending(fx.app(team, "web")), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).matches("the builder hit an internal error \\(ref [0-9a-f]{8}\\); .*")
                .doesNotContain("secret internals");
    }

    @Test
    void cancelRunning_endsCancelledPromptly() {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(blockUntilAborted());
        queue(pipeline, config());
        Deployment d = awaitStatus(fx.pending(fx.app(team, "web")), DeploymentStatus.BUILDING);
        Deployment requested = service.cancel(d);
        assertThat(requested.cancelRequestedAt()).isNotNull();
        Deployment cancelled = awaitStatus(d, DeploymentStatus.CANCELLED);
        assertThat(cancelled.errorMessage()).isEqualTo("cancelled");
        assertThat(cancelled.buildFinishedAt()).isNotNull();
    }

    @Test
    void cancelPending_neverRuns() {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(blockUntilAborted());
        queue(pipeline, config());
        App app = fx.app(team, "web");
        Deployment running = awaitStatus(fx.pending(app), DeploymentStatus.BUILDING);
        Deployment waiting = fx.pending(app); // same app: waits for the running one
        assertThat(service.cancel(waiting).status()).isEqualTo(DeploymentStatus.CANCELLED);
        service.cancel(running);
        awaitStatus(running, DeploymentStatus.CANCELLED);
        assertThat(pipeline.runsOf(waiting.id())).isZero();
    }

    @Test
    void buildPastItsTimeout_failsWithTimedOut() {
        queue(new ScriptedPipeline().then(blockUntilAborted()), config());
        App app = fx.app(team, "slow", 1);
        Deployment failed = awaitStatus(fx.pending(app), DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).startsWith("timed out after 1 second: raise the app's build timeout");
    }

    @Test
    void newRequest_supersedesOlderPendingOfSameBranch_butNotTheRunningOne() {
        queue(new ScriptedPipeline().then(blockUntilAborted()), config());
        App app = fx.app(team, "web");
        Deployment running = awaitStatus(service.request(NewDeployment.manual(app.id(), "main", null)),
                DeploymentStatus.BUILDING);
        Deployment older = service.request(NewDeployment.manual(app.id(), "main", "a".repeat(40)));
        Deployment newer = service.request(NewDeployment.manual(app.id(), "main", "b".repeat(40)));
        // Superseding follows the request's commit, off the requesting thread.
        Deployment superseded = awaitStatus(older, DeploymentStatus.CANCELLED);
        assertThat(superseded.status()).isEqualTo(DeploymentStatus.CANCELLED);
        assertThat(superseded.errorMessage()).isEqualTo("superseded by " + "b".repeat(12));
        assertThat(superseded.supersededBy()).isEqualTo(newer.id());
        assertThat(fx.reload(running).status()).isEqualTo(DeploymentStatus.BUILDING);
        assertThat(fx.reload(newer).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void requestsThatCommitOutOfOrder_stillLeaveOnlyTheNewestPending() {
        App app = fx.app(team, "web");
        // A slow request takes its id first and commits last (two webhooks racing).
        try (var slow = jdbi.open()) {
            slow.begin();
            long olderId = DeploymentService.insert(slow, NewDeployment.manual(app.id(), "main", "a".repeat(40))).id();
            // The team's quota lock (PendingQuota) holds the newer request until the slow one commits.
            var newerRequest = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> service.request(NewDeployment.manual(app.id(), "main", "b".repeat(40))));
            slow.commit();
            Deployment newer = newerRequest.join();
            service.published(List.of(olderId));
            Deployment superseded = awaitStatus(jdbi.onDemand(DeploymentDao.class).findById(olderId).orElseThrow(),
                    DeploymentStatus.CANCELLED);
            assertThat(superseded.supersededBy()).isEqualTo(newer.id());
            assertThat(superseded.errorMessage()).isEqualTo("superseded by " + "b".repeat(12));
            assertThat(fx.reload(newer).status()).isEqualTo(DeploymentStatus.PENDING);
        }
    }

    @Test
    void retry_createsANewDeploymentOfTheSameCommit() {
        queue(new ScriptedPipeline().then(ctx -> {
            throw new BuildFailure("nope");
        }), config());
        App app = fx.app(team, "web");
        Deployment failed = awaitStatus(service.request(NewDeployment.manual(app.id(), "main", "c".repeat(40))),
                DeploymentStatus.BUILD_FAILED);
        Deployment retry = service.retry(app, failed, "rhone:test");
        assertThat(retry.id()).isNotEqualTo(failed.id());
        assertThat(retry.trigger()).isEqualTo(DeploymentTrigger.RETRY);
        assertThat(retry.commitSha()).isEqualTo("c".repeat(40));
        assertThat(retry.retryOf()).isEqualTo(failed.id());
    }

    @Test
    void gracefulShutdown_letsShortBuildsFinish() throws Exception {
        BuildQueue q = queue(new ScriptedPipeline().then(sleep(300)), config());
        Deployment d = awaitStatus(fx.pending(fx.app(team, "web")), DeploymentStatus.BUILDING);
        q.stop();
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.BUILT);
    }

    @Test
    void gracefulShutdown_handsLongBuildsBackToTheQueue_withoutSpendingAnAttempt() throws Exception {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(blockUntilAborted());
        BuildQueue first = queue(pipeline, config());
        Deployment d = awaitStatus(fx.pending(fx.app(team, "web")), DeploymentStatus.BUILDING);
        first.stop();
        Deployment requeued = fx.reload(d);
        assertThat(requeued.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(requeued.attempt()).isZero();
        assertThat(requeued.leaseOwner()).isNull();
        // The next node picks it up and finishes it.
        pipeline.then(ctx -> { });
        queue(pipeline, config());
        assertThat(awaitStatus(d, DeploymentStatus.BUILT).attempt()).isEqualTo(1);
    }

    @Test
    void notification_wakesAnIdleWorkerLongBeforeThePoll() {
        BuildsConfiguration slowPoll = config();
        slowPoll.setPollInterval(Duration.minutes(10));
        BuildQueue q = queue(new ScriptedPipeline(), slowPoll);
        await().atMost(java.time.Duration.ofSeconds(10)).until(q::isListening);
        Deployment d = service.request(NewDeployment.manual(fx.app(team, "web").id(), "main", null));
        // With a ten-minute poll, only the NOTIFY sent after the request committed can start this build.
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILT);
    }

    @Test
    void finishingABuild_wakesTheNextOfTheSameApp() {
        BuildsConfiguration slowPoll = config();
        slowPoll.setPollInterval(Duration.minutes(10));
        ScriptedPipeline pipeline = new ScriptedPipeline().then(sleep(200));
        queue(pipeline, slowPoll);
        App app = fx.app(team, "web");
        Deployment first = fx.pending(app);
        Deployment second = fx.pending(app);
        awaitStatus(first, DeploymentStatus.BUILT);
        awaitStatus(second, DeploymentStatus.BUILT);
        assertThat(pipeline.maxOverlapPerApp.get()).isEqualTo(1);
    }

    @Test
    void aRowThisNodeRunsRequeuedWithoutNamingIt_isAbandonedBeforeItIsClaimedAgain_neverTwoRunsAtOnce() {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(blockUntilAborted());
        queue(pipeline, config());
        App app = fx.app(team, "web");
        Deployment d = awaitStatus(fx.pending(app), DeploymentStatus.BUILDING);
        // Requeued without reaped_from (not something this node may take back): its claim is lost.
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'pending', lease_owner = NULL, "
                + "lease_expires_at = NULL WHERE id = ?", d.id()));
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> pipeline.runsOf(d.id()) == 2);
        // The first run is told its lease is gone and leaves; only then does the node claim it anew.
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> pipeline.runningNow(app.id()) == 1);
        assertThat(pipeline.maxOverlapPerApp.get()).as("runs of the app at once").isEqualTo(1);
        Deployment now = fx.reload(d);
        assertThat(now.attempt()).isEqualTo(2);
        assertThat(now.status().isActive()).isTrue();
        service.cancel(now);
        assertThat(awaitStatus(d, DeploymentStatus.CANCELLED).attempt()).isEqualTo(2);
    }

    @Test
    void atMostMaxConcurrentBuildsRunAtOnce() {
        ScriptedPipeline pipeline = new ScriptedPipeline().then(blockUntilAborted());
        BuildQueue q = queue(pipeline, config());
        List<Deployment> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(fx.pending(fx.app(team, "app" + i)));
        }
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> pipeline.started.get() == 2);
        assertThat(q.freeSlots()).isZero();
        long running = all.stream().filter(d -> fx.reload(d).status().isActive()).count();
        assertThat(running).isEqualTo(2);
    }
}
