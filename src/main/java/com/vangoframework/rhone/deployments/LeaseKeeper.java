package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.db.DatabaseFailures;
import com.vangoframework.rhone.db.StoredText;
import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.threads.FailureStreak;
import com.vangoframework.rhone.threads.NamedThreads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease side of one node's queue: renews the leases of the builds this node runs (and hears of
 * cancel requests on the way), reaps the expired leases of nodes that died, and runs the build
 * timeouts. Every abort runs on a thread of its own: killing a process tree may take a while, and
 * the renewal timer and the listener must never wait on it.
 *
 * <p>A renewal that cannot reach the database is not a lost lease: the builds go on, and the
 * renewals go on being tried. A renewal that answers without a row is, unless the row was only
 * reaped and nobody has claimed it since: then this node takes it back ({@link #stillHeld}). The
 * rule that keeps it to exactly one build: a reaper waits for a grace of two renewal periods after
 * it first sees a lease expired (so after a stall of the database every node renews before anyone
 * reaps), never reaps the builds of its own node, and a reaped row names the node it was taken
 * from until someone claims it; both the claim and the take-back are compare-and-sets on that
 * pending row, so one of them wins.
 *
 * <p>Threads: one timer (renew, reap, timeouts) and the aborters, from {@link #start} to {@link #stop}.
 */
final class LeaseKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final DeploymentDao dao;
    private final BuildsConfiguration config;
    private final String nodeId;
    private final Map<Long, BuildContext> running;
    private final QueueMetrics metrics;
    private final DeploymentEvents events;
    private final Runnable wake;
    private final Clock clock;
    private final FailureStreak renewFailures;
    private final FailureStreak reapFailures;
    private final BuildOutput output;
    private ScheduledThreadPoolExecutor timer;
    private ExecutorService aborter;

    /** {@code running} is the queue's live map of this node's builds; {@code wake} wakes its dispatcher. */
    LeaseKeeper(DeploymentDao dao, BuildsConfiguration config, String nodeId, Map<Long, BuildContext> running,
                QueueMetrics metrics, DeploymentEvents events, Runnable wake, Clock clock, BuildOutput output) {
        this.dao = dao;
        this.config = config;
        this.nodeId = nodeId;
        this.running = running;
        this.metrics = metrics;
        this.events = events;
        this.wake = wake;
        this.clock = clock;
        this.renewFailures = FailureStreak.of(LOG, "Renewing build leases", clock);
        this.reapFailures = FailureStreak.of(LOG, "Reaping expired build leases", clock);
        this.output = output;
    }

    void start() {
        timer = NamedThreads.scheduled("rhone-lease-keeper");
        aborter = NamedThreads.cached("rhone-abort-");
        long renewMillis = renewMillis();
        timer.scheduleWithFixedDelay(this::renewLeases, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
        // Reap at once on start: a restarted single node finds its own interrupted work here.
        long reapMillis = config.getReapInterval().toMilliseconds();
        timer.scheduleWithFixedDelay(this::reapExpiredLeases, 0, reapMillis, TimeUnit.MILLISECONDS);
    }

    /** Called once the queue's workers are done or given up on. */
    void stop() {
        NamedThreads.stopNow(timer, Duration.ofSeconds(5));
        NamedThreads.stopNow(aborter, Duration.ofSeconds(5));
    }

    /** Runs an abort off the calling thread (on the caller's own once the node is stopping). */
    void abortSoon(Runnable abort) {
        try {
            aborter.execute(abort);
        } catch (RejectedExecutionException stopping) {
            abort.run();
        }
    }

    /** Aborts {@code ctx} as timed out unless the returned timer is cancelled first. */
    ScheduledFuture<?> timeOut(BuildContext ctx, int seconds) {
        return timer.schedule(() -> abortSoon(() -> ctx.abort(AbortReason.TIMED_OUT)), seconds, TimeUnit.SECONDS);
    }

    /** A cancel request for a build this node runs (via NOTIFY or the lease renewal). */
    void cancelLocal(long deploymentId) {
        BuildContext ctx = running.get(deploymentId);
        if (ctx != null) {
            abortSoon(() -> ctx.abort(AbortReason.CANCELLED));
        }
    }

    private long renewMillis() {
        return Math.max(100, config.getLeaseDuration().toMilliseconds() / 3);
    }

    private void renewLeases() {
        try {
            renewOnce();
            renewFailures.succeeded();
        } catch (RuntimeException e) {
            renewFailures.failed(e); // retried on the next tick: the timer must go on
        }
    }

    private void renewOnce() {
        var snapshot = Map.copyOf(running);
        if (snapshot.isEmpty()) {
            return;
        }
        long[] ids = snapshot.keySet().stream().mapToLong(Long::longValue).toArray();
        int[] attempts = Arrays.stream(ids).mapToInt(id -> snapshot.get(id).deployment().attempt()).toArray();
        List<DeploymentDao.Renewal> renewed;
        Instant start = clock.instant();
        try {
            renewed = dao.renew(nodeId, config.getLeaseDuration().toMilliseconds(), ids, attempts);
            if (Duration.between(start, clock.instant()).toMillis() > renewMillis()) {
                // The statement hung (a stalled database) rather than failed: that was an outage too.
                snapshot.values().forEach(ctx -> ctx.renewalFailed(start));
            }
        } catch (RuntimeException e) {
            // Not an answer about the leases: the builds go on, and so do the renewals.
            Instant now = clock.instant();
            boolean first = false;
            for (BuildContext ctx : snapshot.values()) {
                first |= ctx.renewalFailed(now);
                // Until a renewal says whose the row is, the build's log lines wait here.
                output.hold(ctx.deployment().id());
            }
            if (first) {
                LOG.warn("Renewing the leases of builds {} failed{}; they go on, and their leases are renewed when "
                        + "the database answers", snapshot.keySet(),
                        DatabaseFailures.isUnreachable(e) ? " (the database is out of reach)" : "", e);
            }
            return;
        }
        Set<Long> alive = renewed.stream().map(DeploymentDao.Renewal::id).collect(Collectors.toSet());
        Instant now = clock.instant();
        snapshot.forEach((id, ctx) -> {
            if (alive.contains(id)) {
                output.release(id);
                Duration outage = ctx.leaseRenewed(now);
                if (outage != null) {
                    LOG.info("Deployment {}: the database answers again after {} s; the build keeps its lease",
                            id, outage.toSeconds());
                }
            } else if (running.get(id) == ctx && !ctx.isOutcomeRecorded()
                    && ctx.abortReason() != AbortReason.LEASE_LOST && ctx.abortReason() != AbortReason.SHUTDOWN) {
                // (A build being torn down for a lost lease or the shutdown must not take its row back.)
                // Not renewed: it finished a moment ago (then it left `running`), or the row was
                // reaped while this node was cut off, or another claim holds it now.
                try {
                    if (!stillHeld(ctx)) {
                        abortSoon(() -> ctx.abort(AbortReason.LEASE_LOST));
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Deployment {}: could not check its lease; trying again on the next tick", id, e);
                }
            }
        });
        renewed.stream().filter(DeploymentDao.Renewal::cancelRequested).forEach(r -> cancelLocal(r.id()));
    }

    /**
     * Whether this node still holds {@code ctx}'s claim after a renewal or a write of it matched no
     * row: renewed now, or taken back because the reaper requeued it while this node was cut off
     * and nobody has claimed it since. When not, and the reaper failed it at the attempt limit with
     * "interrupted", the sentence is replaced by what happened. One at a time, so that two threads
     * of one build never race each other to take one row back.
     *
     * @throws RuntimeException when the database cannot be reached (the answer is unknown)
     */
    synchronized boolean stillHeld(BuildContext ctx) {
        Lease lease = ctx.deployment().lease();
        long leaseMillis = config.getLeaseDuration().toMilliseconds();
        Instant now = clock.instant();
        if (!dao.renew(nodeId, leaseMillis, new long[] {lease.deploymentId()}, new int[] {lease.attempt()}).isEmpty()) {
            ctx.leaseRenewed(now);
            output.release(lease.deploymentId());
            return true;
        }
        Duration outage = ctx.outage(now);
        if (outage.isZero()) {
            outage = Duration.between(ctx.lastRenewal(), now); // the renewals hung rather than failed
        }
        if (takeBack(lease, ctx.recordedStatus(), leaseMillis)) {
            ctx.leaseRenewed(now);
            output.release(lease.deploymentId());
            events.changed(lease.deploymentId());
            LOG.warn("Deployment {}: its lease was reaped while this node was cut off from the database (for {} s) "
                    + "and nobody had claimed it since: taken back, attempt {} goes on", lease.deploymentId(),
                    outage.toSeconds(), lease.attempt());
            return true;
        }
        String sentence = BuildQueue.lostContact(outage);
        if (dao.explainInterruption(lease, BuildQueue.INTERRUPTED_MESSAGE, sentence) != 0) {
            events.changed(lease.deploymentId());
            LOG.warn("Deployment {} was failed at its attempt limit while this node was cut off from the database; "
                    + "recorded as: {}", lease.deploymentId(), sentence);
        } else {
            LOG.warn("Deployment {}: this node no longer holds attempt {} (another node claimed it, or it was "
                    + "cancelled or superseded); the build here is abandoned", lease.deploymentId(), lease.attempt());
        }
        return false;
    }

    /** False also when the unique index refuses it: another build of the app has started meanwhile. */
    private boolean takeBack(Lease lease, DeploymentStatus phase, long leaseMillis) {
        try {
            return dao.takeBack(lease, phase, leaseMillis) != 0;
        } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            if ("23505".equals(StoredText.sqlState(e))) {
                return false;
            }
            throw e;
        }
    }

    private void reapExpiredLeases() {
        try {
            long[] mine = running.keySet().stream().mapToLong(Long::longValue).toArray();
            var reaped = dao.reapExpired(new DeploymentDao.ReapRequest(nodeId, mine, config.getMaxAttempts(),
                    BuildQueue.INTERRUPTED_MESSAGE, 2 * renewMillis()));
            for (var r : reaped) {
                metrics.reaped(r);
                events.changed(r.id());
                LOG.warn("Deployment {} lost its build node; now {}", r.id(), r.status().dbValue());
            }
            if (!reaped.isEmpty()) {
                wake.run();
            }
            reapFailures.succeeded();
        } catch (RuntimeException e) {
            reapFailures.failed(e); // retried on the next tick
        }
    }
}
