package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.deployments.DeploymentDao.Outcome;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a worker thread of the queue does with one claimed deployment: runs the pipeline under a
 * timeout, turns how it ended into the row's outcome (or leaves the row alone when this node must:
 * a shutdown hands it back, a lost lease belongs to someone else), and records that outcome with
 * a compare-and-set from the last phase written.
 */
final class BuildWorker {

    private static final Logger LOG = LoggerFactory.getLogger(BuildWorker.class);

    private final DeploymentDao dao;
    private final AppDao apps;
    private final BuildPipeline pipeline;
    private final DeploymentEvents events;
    private final QueueMetrics metrics;
    private final Clock clock;
    private final Map<Long, BuildContext> running;
    private final LeaseKeeper keeper;
    private final Executor progressWriter;
    private final BooleanSupplier accepting;

    /** The queue's parts while it runs; {@code accepting} turns false when the queue starts to stop. */
    BuildWorker(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, DeploymentEvents events, QueueMetrics metrics,
                Clock clock, Map<Long, BuildContext> running, LeaseKeeper keeper, Executor progressWriter,
                BooleanSupplier accepting) {
        this.dao = dao;
        this.apps = apps;
        this.pipeline = pipeline;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.running = running;
        this.keeper = keeper;
        this.progressWriter = progressWriter;
        this.accepting = accepting;
    }

    void execute(Deployment d) {
        Optional<App> app = apps.findById(d.appId());
        if (app.isEmpty()) {
            LOG.warn("Deployment {} belongs to app {} which no longer exists", d.id(), d.appId());
            return;
        }
        if (!accepting.getAsBoolean()) {
            return; // stopping: the row is still ours and goes back to the queue in stop()
        }
        BuildContext ctx = new BuildContext(d, app.get(), dao, events, progressWriter, keeper::abortSoon);
        events.changed(d.id()); // claimed: now cloning
        ctx.bindWorker(Thread.currentThread());
        BuildContext previous = running.put(d.id(), ctx);
        if (previous != null) {
            // This node lost the row (its renewals failed, a reaper requeued it) and has claimed it
            // again: the older run is a zombie and must stop.
            keeper.abortSoon(() -> previous.abort(AbortReason.LEASE_LOST));
        }
        ScheduledFuture<?> timeout = keeper.timeOut(ctx, app.get().buildTimeoutSeconds());
        try {
            Outcome outcome = runPipeline(ctx);
            if (outcome != null) {
                record(ctx, outcome);
            } else {
                ctx.awaitWrites(); // the row stays as it is: at least let its progress land first
            }
        } catch (RuntimeException e) {
            LOG.error("Recording the end of deployment {} failed; its lease will expire and the reaper "
                    + "will take it from there", d.id(), e);
        } finally {
            timeout.cancel(false);
            ctx.unbindWorker();
            running.remove(d.id(), ctx);
        }
    }

    /** The row's final values, or null when this node must leave the row alone (shutdown, lost lease). */
    private Outcome runPipeline(BuildContext ctx) {
        try {
            BuildPipeline.BuildResult result = pipeline.build(ctx);
            return new Outcome(DeploymentStatus.BUILT, null, result.imageTag(), result.imageDigest(),
                    result.imageSizeBytes());
        } catch (Exception e) {
            AbortReason reason = ctx.abortReason();
            if (reason != null) {
                return outcomeOfAbort(ctx, reason);
            }
            if (!accepting.getAsBoolean()
                    && (e instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
                return null; // interrupted by the shutdown itself: hand the row back
            }
            if (e instanceof BuildFailure) {
                return new Outcome(DeploymentStatus.BUILD_FAILED, e.getMessage(), null, null);
            }
            String ref = UUID.randomUUID().toString().substring(0, 8);
            LOG.error("Deployment {} failed with an internal error (ref {})", ctx.deployment().id(), ref, e);
            return new Outcome(DeploymentStatus.BUILD_FAILED,
                    "the builder hit an internal error (ref " + ref + "); the server log has the details", null, null);
        }
    }

    private Outcome outcomeOfAbort(BuildContext ctx, AbortReason reason) {
        return switch (reason) {
            case CANCELLED -> new Outcome(DeploymentStatus.CANCELLED, "cancelled", null, null);
            case TIMED_OUT -> new Outcome(DeploymentStatus.BUILD_FAILED, "timed out after "
                    + minutes(ctx.app().buildTimeoutSeconds()) + ": raise the app's build timeout or make the build faster",
                    null, null);
            case SHUTDOWN, LEASE_LOST -> null;
        };
    }

    private static String minutes(int seconds) {
        if (seconds < 60) {
            return seconds == 1 ? "1 second" : seconds + " seconds";
        }
        int m = Math.round(seconds / 60f);
        return m == 1 ? "1 minute" : m + " minutes";
    }

    private void record(BuildContext ctx, Outcome outcome) {
        ctx.awaitWrites(); // the outcome comes after every phase the build reported
        if (ctx.abortReason() == AbortReason.LEASE_LOST) {
            LOG.warn("Deployment {} finished as {} but a progress write found its lease gone; the result is dropped",
                    ctx.deployment().id(), outcome.status());
            return;
        }
        DeploymentStatus from = ctx.status();
        if (!from.canMoveTo(outcome.status())) {
            LOG.error("Deployment {}: the pipeline ended as {} while still {}; recording a failure",
                    ctx.deployment().id(), outcome.status(), from);
            outcome = new Outcome(DeploymentStatus.BUILD_FAILED,
                    "the builder stopped in the " + from.dbValue() + " phase without a result", null, null);
        }
        // The row holds the last phase that was written (normally the build's own; one behind
        // if a progress write failed): the compare-and-set starts from there.
        if (dao.finish(ctx.deployment().lease(), ctx.recordedStatus(), outcome) == 0) {
            LOG.warn("Deployment {} finished as {} but this node no longer holds it; the result is dropped",
                    ctx.deployment().id(), outcome.status());
            return;
        }
        metrics.finished(outcome.status(), ctx.deployment().buildStartedAt(), clock.instant());
        events.changed(ctx.deployment().id());
        LOG.info("Deployment {} {}", ctx.deployment().id(), outcome.status().dbValue());
    }
}
