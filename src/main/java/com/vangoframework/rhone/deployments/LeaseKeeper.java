package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.threads.NamedThreads;
import java.time.Duration;
import java.util.Arrays;
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
    private ScheduledThreadPoolExecutor timer;
    private ExecutorService aborter;

    /** {@code running} is the queue's live map of this node's builds; {@code wake} wakes its dispatcher. */
    LeaseKeeper(DeploymentDao dao, BuildsConfiguration config, String nodeId, Map<Long, BuildContext> running,
                QueueMetrics metrics, DeploymentEvents events, Runnable wake) {
        this.dao = dao;
        this.config = config;
        this.nodeId = nodeId;
        this.running = running;
        this.metrics = metrics;
        this.events = events;
        this.wake = wake;
    }

    void start() {
        timer = NamedThreads.scheduled("rhone-lease-keeper");
        aborter = NamedThreads.cached("rhone-abort-");
        long renewMillis = Math.max(100, config.getLeaseDuration().toMilliseconds() / 3);
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

    private void renewLeases() {
        try {
            var snapshot = Map.copyOf(running);
            if (snapshot.isEmpty()) {
                return;
            }
            long[] ids = snapshot.keySet().stream().mapToLong(Long::longValue).toArray();
            int[] attempts = Arrays.stream(ids).mapToInt(id -> snapshot.get(id).deployment().attempt()).toArray();
            var renewed = dao.renew(nodeId, config.getLeaseDuration().toMilliseconds(), ids, attempts);
            Set<Long> alive = renewed.stream().map(DeploymentDao.Renewal::id).collect(Collectors.toSet());
            snapshot.forEach((id, ctx) -> {
                // Not renewed: either it finished a moment ago (then it left `running`) or this
                // claim is no longer the row's current one.
                if (!alive.contains(id) && running.get(id) == ctx) {
                    abortSoon(() -> ctx.abort(AbortReason.LEASE_LOST));
                }
            });
            renewed.stream().filter(DeploymentDao.Renewal::cancelRequested).forEach(r -> cancelLocal(r.id()));
        } catch (RuntimeException e) {
            LOG.warn("Renewing build leases failed; retrying on the next tick", e);
        }
    }

    private void reapExpiredLeases() {
        try {
            var reaped = dao.reapExpired(config.getMaxAttempts(), BuildQueue.INTERRUPTED_MESSAGE);
            for (var r : reaped) {
                metrics.reaped(r);
                events.changed(r.id());
                LOG.warn("Deployment {} lost its build node; now {}", r.id(), r.status().dbValue());
            }
            if (!reaped.isEmpty()) {
                wake.run();
            }
        } catch (RuntimeException e) {
            LOG.warn("Reaping expired build leases failed; retrying on the next tick", e);
        }
    }
}
