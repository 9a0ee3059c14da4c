package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseFailures;
import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.deployments.DeploymentDao.Outcome;
import java.time.Clock;
import java.time.Duration;
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
 *
 * <p>A build that ends while the database is out of reach keeps its outcome (and its log lines,
 * in the log store) until the database answers, then records them; if this node learns by then
 * that another node has the build, the outcome and the lines still held are dropped.
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
    private final BuildOutput output;

    /** The queue's parts while it runs; {@code accepting} turns false when the queue starts to stop. */
    BuildWorker(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, DeploymentEvents events, QueueMetrics metrics,
                Clock clock, Map<Long, BuildContext> running, LeaseKeeper keeper, Executor progressWriter,
                BooleanSupplier accepting, BuildOutput output) {
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
        this.output = output;
    }

    /** What the pipeline ended with; {@code lostContact}: it failed because the database was out of reach. */
    private record Ending(Outcome outcome, boolean lostContact) {
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
        BuildContext ctx = new BuildContext(d, app.get(), dao, events, progressWriter, keeper::abortSoon,
                keeper::stillHeld, clock.instant());
        ctx.onAbort(() -> {
            if (ctx.abortReason() == AbortReason.LEASE_LOST) {
                output.discard(d.id()); // lines held through an outage must not land in another node's build
            }
        });
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
            Ending ending = runPipeline(ctx);
            timeout.cancel(false); // the outcome is decided: waiting for the database to record it is no timeout
            if (ending != null) {
                record(ctx, ending);
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
    private Ending runPipeline(BuildContext ctx) {
        try {
            BuildPipeline.BuildResult result = pipeline.build(ctx);
            return new Ending(new Outcome(DeploymentStatus.BUILT, null, result.imageTag(), result.imageDigest(),
                    result.imageSizeBytes()), false);
        } catch (Exception e) {
            AbortReason reason = ctx.abortReason();
            if (reason != null) {
                Outcome outcome = outcomeOfAbort(ctx, reason);
                return outcome == null ? null : new Ending(outcome, false);
            }
            if (!accepting.getAsBoolean()
                    && (e instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
                return null; // interrupted by the shutdown itself: hand the row back
            }
            if (e instanceof BuildFailure) {
                return new Ending(new Outcome(DeploymentStatus.BUILD_FAILED, e.getMessage(), null, null), false);
            }
            String ref = UUID.randomUUID().toString().substring(0, 8);
            if (DatabaseFailures.isUnreachable(e)) {
                // A step needed the database (the app's secrets, say) while it was out of reach.
                LOG.warn("Deployment {} failed: the database was out of reach (ref {})", ctx.deployment().id(), ref, e);
                return new Ending(new Outcome(DeploymentStatus.BUILD_FAILED, "lost contact", null, null), true);
            }
            LOG.error("Deployment {} failed with an internal error (ref {})", ctx.deployment().id(), ref, e);
            return new Ending(new Outcome(DeploymentStatus.BUILD_FAILED,
                    "the builder hit an internal error (ref " + ref + "); the server log has the details", null, null),
                    false);
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

    /**
     * Records the outcome once the build's log lines and progress are stored, waiting while the
     * database is out of reach. Gives up only when this node learns that another node has the
     * build (the outcome is dropped) or when the node stops before the database answers (the row
     * keeps its lease, which runs out; the build is run again).
     */
    private void record(BuildContext ctx, Ending ending) {
        long id = ctx.deployment().id();
        long pause = 50;
        boolean waiting = false;
        while (true) {
            Thread.interrupted(); // a late abort (a timeout firing now) does not change a decided outcome
            AbortReason reason = ctx.abortReason();
            if (reason == AbortReason.LEASE_LOST) {
                dropOutcome(ctx, ending.outcome(), "a write found its lease held by another claim");
                return;
            }
            try {
                if (output.awaitStored(id, Duration.ofMillis(pause)) && ctx.catchUpWrites()) {
                    finish(ctx, ending);
                    return;
                }
            } catch (RuntimeException e) {
                if (!DatabaseFailures.isUnreachable(e)) {
                    throw e;
                }
            }
            // Stopping: after the grace period the queue asks every build to end; a build that was
            // cancelled or timed out before that has another reason, but must stop waiting too.
            if (!accepting.getAsBoolean() && (reason == AbortReason.SHUTDOWN || ctx.shutdownRequested())) {
                LOG.error("Deployment {} finished as {} but the database did not answer before this node stopped: the "
                        + "outcome is lost, its lease runs out and the build runs again", id, ending.outcome().status());
                return;
            }
            if (!waiting) {
                waiting = true;
                LOG.warn("Deployment {} finished as {} while the database is out of reach: its log lines and outcome "
                        + "are recorded when it answers", id, ending.outcome().status());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                // looked at again at the top: a lost lease or the shutdown
            }
            pause = Math.min(pause * 2, 1000);
        }
    }

    private void finish(BuildContext ctx, Ending ending) {
        Outcome outcome = ending.outcome();
        if (ending.lostContact()) {
            outcome = new Outcome(DeploymentStatus.BUILD_FAILED,
                    BuildQueue.lostContact(ctx.outage(clock.instant())), null, null);
        }
        DeploymentStatus from = ctx.status();
        if (!from.canMoveTo(outcome.status())) {
            LOG.error("Deployment {}: the pipeline ended as {} while still {}; recording a failure",
                    ctx.deployment().id(), outcome.status(), from);
            outcome = new Outcome(DeploymentStatus.BUILD_FAILED,
                    "the builder stopped in the " + from.dbValue() + " phase without a result", null, null);
        }
        // The row holds the last phase that was written (normally the build's own; one behind
        // if a progress write failed): the compare-and-set starts from there. No row: the lease
        // may have been reaped while this node was cut off, and nobody has claimed it since.
        // A first try whose commit went through but whose answer was lost (a connection that broke
        // after the commit) leaves the row finished: the retry matches nothing, and the row already
        // holds this outcome.
        Lease lease = ctx.deployment().lease();
        if (dao.finish(lease, ctx.recordedStatus(), outcome) == 0
                && !dao.holdsOutcome(lease, outcome)
                && !(keeper.stillHeld(ctx) && dao.finish(lease, ctx.recordedStatus(), outcome) != 0)) {
            dropOutcome(ctx, outcome, "this node no longer holds it");
            return;
        }
        ctx.outcomeRecorded();
        metrics.finished(outcome.status(), ctx.deployment().buildStartedAt(), clock.instant());
        events.changed(ctx.deployment().id());
        LOG.info("Deployment {} {}", ctx.deployment().id(), outcome.status().dbValue());
    }

    private void dropOutcome(BuildContext ctx, Outcome outcome, String why) {
        output.discard(ctx.deployment().id());
        LOG.warn("Deployment {} finished as {} but {}: another node has the build, this result is dropped",
                ctx.deployment().id(), outcome.status(), why);
    }
}
