package com.vangoframework.rhone.deployments;

import com.codahale.metrics.MetricRegistry;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.db.PgListener;
import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.deployments.DeploymentDao.Outcome;
import io.dropwizard.lifecycle.Managed;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable, bounded build queue of one node. The deployments table is the queue; this class
 * claims rows with a lease, runs them on a fixed pool of workers, renews the leases, reaps the
 * leases of nodes that died, and hands its own work back to the queue when it stops.
 *
 * <p>Threads, all owned here: one dispatcher (claims while slots are free), {@code maxConcurrent}
 * workers, one lease keeper (renew, reap, timeout timers), an aborter that runs abort callbacks
 * (killing a process tree may take a while; it must never delay lease renewal) and one LISTEN
 * connection.
 */
public final class BuildQueue implements Managed {

    public static final String INTERRUPTED_MESSAGE = "interrupted: the build node stopped";
    private static final Logger LOG = LoggerFactory.getLogger(BuildQueue.class);
    private static final String UNIQUE_VIOLATION = "23505";

    private final DeploymentDao dao;
    private final AppDao apps;
    private final BuildPipeline pipeline;
    private final BuildsConfiguration config;
    private final String nodeId;
    private final Clock clock;
    private final QueueMetrics metrics;
    /** {@code rhone_queue} wakes the dispatcher; {@code rhone_cancel} carries a deployment id to stop. */
    static final String QUEUE_CHANNEL = "rhone_queue";
    static final String CANCEL_CHANNEL = "rhone_cancel";

    private final PgListener listener;
    private final DeploymentEvents events;
    private final ConcurrentMap<Long, BuildContext> running = new ConcurrentHashMap<>();
    private final WakeSignal wake = new WakeSignal();
    private final Semaphore slots;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean accepting;
    private ExecutorService workers;
    private ScheduledThreadPoolExecutor keeper;
    private ExecutorService aborter;
    private ExecutorService progressWriter;
    private Thread dispatcher;
    private Thread listenerThread;

    public BuildQueue(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, BuildsConfiguration config,
                      String nodeId, DatabaseTarget listenTarget, MetricRegistry registry, Clock clock) {
        this(dao, apps, pipeline, config, nodeId, listenTarget, registry, clock, DeploymentEvents.NONE);
    }

    public BuildQueue(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, BuildsConfiguration config,
                      String nodeId, DatabaseTarget listenTarget, MetricRegistry registry, Clock clock,
                      DeploymentEvents events) {
        this.events = events;
        this.dao = dao;
        this.apps = apps;
        this.pipeline = pipeline;
        this.config = config;
        this.nodeId = nodeId;
        this.clock = clock;
        this.slots = new Semaphore(config.getMaxConcurrent());
        this.metrics = new QueueMetrics(registry, dao::countPending, running::size);
        // The listener connection also wakes the dispatcher when it (re)connects: anything sent
        // while nobody listened is unknown. Meanwhile the slow poll keeps the queue moving.
        this.listener = new PgListener(listenTarget, "rhone-queue-listener", Map.of(
                QUEUE_CHANNEL, payload -> wake.signal(),
                CANCEL_CHANNEL, this::cancelNotified), wake::signal);
    }

    /** Outcomes, build duration and queue wait as Prometheus metrics, for the service's registry. */
    public java.util.List<io.prometheus.metrics.model.registry.Collector> prometheusMetrics() {
        return metrics.prometheus();
    }

    public String nodeId() {
        return nodeId;
    }

    public int freeSlots() {
        return config.getMaxConcurrent() - running.size();
    }

    public int capacity() {
        return config.getMaxConcurrent();
    }

    public boolean isRunning() {
        return accepting;
    }

    public boolean isListening() {
        return listener.isConnected();
    }

    /** Ids of the builds this node runs right now. */
    public Set<Long> runningIds() {
        return Set.copyOf(running.keySet());
    }

    @Override
    public void start() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        accepting = true;
        workers = Executors2.fixed("rhone-build-", config.getMaxConcurrent());
        keeper = Executors2.scheduled("rhone-lease-keeper");
        aborter = Executors2.cached("rhone-abort-");
        progressWriter = Executors2.fixed("rhone-progress-", config.getMaxConcurrent());
        long renewMillis = Math.max(100, config.getLeaseDuration().toMilliseconds() / 3);
        keeper.scheduleWithFixedDelay(this::renewLeases, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
        // Reap at once on start: a restarted single node finds its own interrupted work here.
        long reapMillis = config.getReapInterval().toMilliseconds();
        keeper.scheduleWithFixedDelay(this::reapExpiredLeases, 0, reapMillis, TimeUnit.MILLISECONDS);
        listenerThread = Executors2.thread("rhone-queue-listener", listener);
        listenerThread.start();
        dispatcher = Executors2.thread("rhone-build-dispatcher", this::dispatchLoop);
        dispatcher.start();
        LOG.info("Build queue started on node {} with {} slots", nodeId, config.getMaxConcurrent());
    }

    /**
     * Stops claiming, gives running builds the grace period, then aborts the rest and hands them
     * back to the queue (without spending an attempt), so another node or the next start resumes them.
     */
    @Override
    public void stop() throws InterruptedException {
        if (!started.compareAndSet(true, false)) {
            return;
        }
        accepting = false;
        dispatcher.interrupt();
        dispatcher.join(TimeUnit.SECONDS.toMillis(10));
        workers.shutdown();
        try {
            if (!workers.awaitTermination(config.getShutdownGrace().toMilliseconds(), TimeUnit.MILLISECONDS)) {
                LOG.info("Handing {} unfinished builds back to the queue", running.size());
                running.values().forEach(ctx -> ctx.abort(AbortReason.SHUTDOWN));
                if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                    workers.shutdownNow();
                    workers.awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        } finally {
            // Rows whose worker has ended go back to the queue now. A worker that is still stuck
            // keeps its row: handing that back would let another node build it while this one
            // still does; its lease runs out instead and the reaper takes over.
            long[] stuck = running.keySet().stream().mapToLong(Long::longValue).toArray();
            var released = dao.releaseOwned(nodeId, stuck);
            if (!released.isEmpty()) {
                LOG.info("Requeued deployments {} on shutdown", released);
                released.forEach(events::changed);
            }
            if (stuck.length > 0) {
                LOG.warn("Builds {} did not stop in time; their leases will expire and be reaped", running.keySet());
            }
            keeper.shutdownNow();
            aborter.shutdownNow();
            progressWriter.shutdown();
            listener.stop();
            listenerThread.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    private void cancelNotified(String payload) {
        try {
            cancelLocal(Long.parseLong(payload));
        } catch (NumberFormatException e) {
            LOG.warn("Ignoring a malformed cancel notification: {}", payload);
        }
    }

    /** A cancel request for a build this node runs (via NOTIFY or the lease renewal). */
    void cancelLocal(long deploymentId) {
        BuildContext ctx = running.get(deploymentId);
        if (ctx != null) {
            abortLater(ctx, AbortReason.CANCELLED);
        }
    }

    private void abortSoon(Runnable abort) {
        try {
            aborter.execute(abort);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            abort.run();
        }
    }

    /** Aborts off the calling thread: the keeper and the listener must never wait on a process kill. */
    private void abortLater(BuildContext ctx, AbortReason reason) {
        try {
            aborter.execute(() -> ctx.abort(reason));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            ctx.abort(reason);
        }
    }

    private void dispatchLoop() {
        long pollMillis = config.getPollInterval().toMilliseconds();
        while (accepting) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                break;
            }
            boolean handedOff = false;
            try {
                Optional<Deployment> claimed = accepting ? claim() : Optional.empty();
                if (claimed.isPresent()) {
                    Deployment d = claimed.get();
                    metrics.claimed(d, clock.instant());
                    workers.execute(() -> {
                        try {
                            execute(d);
                        } finally {
                            slots.release();
                            wake.signal();
                        }
                    });
                    handedOff = true;
                }
            } catch (RuntimeException e) {
                LOG.warn("Claiming a build failed; trying again after the poll interval", e);
            } finally {
                if (!handedOff) {
                    slots.release();
                }
            }
            if (!handedOff) {
                try {
                    wake.await(pollMillis);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
    }

    private Optional<Deployment> claim() {
        var request = new DeploymentDao.ClaimRequest(nodeId, config.getLeaseDuration().toMilliseconds());
        // Two nodes may pick different pending rows of one app at once; the unique index lets one
        // win and the other's statement fail. That loser simply looks again.
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return dao.claimNext(request);
            } catch (UnableToExecuteStatementException e) {
                if (!(e.getCause() instanceof SQLException sql) || !UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                    throw e;
                }
            }
        }
        return Optional.empty();
    }

    private void execute(Deployment d) {
        Optional<App> app = apps.findById(d.appId());
        if (app.isEmpty()) {
            LOG.warn("Deployment {} belongs to app {} which no longer exists", d.id(), d.appId());
            return;
        }
        if (!accepting) {
            return; // stopping: the row is still ours and goes back to the queue in stop()
        }
        BuildContext ctx = new BuildContext(d, app.get(), dao, events, progressWriter, this::abortSoon);
        events.changed(d.id()); // claimed: now cloning
        ctx.bindWorker(Thread.currentThread());
        BuildContext previous = running.put(d.id(), ctx);
        if (previous != null) {
            // This node lost the row (its renewals failed, a reaper requeued it) and has claimed it
            // again: the older run is a zombie and must stop.
            abortLater(previous, AbortReason.LEASE_LOST);
        }
        ScheduledFuture<?> timeout = keeper.schedule(() -> abortLater(ctx, AbortReason.TIMED_OUT),
                app.get().buildTimeoutSeconds(), TimeUnit.SECONDS);
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
            if (!accepting && (e instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
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
        if (dao.finishUnchecked(ctx.deployment().lease(), ctx.recordedStatus(), outcome) == 0) {
            LOG.warn("Deployment {} finished as {} but this node no longer holds it; the result is dropped",
                    ctx.deployment().id(), outcome.status());
            return;
        }
        metrics.finished(outcome.status(), ctx.deployment().buildStartedAt(), clock.instant());
        events.changed(ctx.deployment().id());
        LOG.info("Deployment {} {}", ctx.deployment().id(), outcome.status().dbValue());
    }

    private void renewLeases() {
        try {
            var snapshot = Map.copyOf(running);
            if (snapshot.isEmpty()) {
                return;
            }
            long[] ids = snapshot.keySet().stream().mapToLong(Long::longValue).toArray();
            int[] attempts = java.util.Arrays.stream(ids)
                    .mapToInt(id -> snapshot.get(id).deployment().attempt()).toArray();
            var renewed = dao.renew(nodeId, config.getLeaseDuration().toMilliseconds(), ids, attempts);
            Set<Long> alive = renewed.stream().map(DeploymentDao.Renewal::id).collect(Collectors.toSet());
            snapshot.forEach((id, ctx) -> {
                // Not renewed: either it finished a moment ago (then it left `running`) or this
                // claim is no longer the row's current one.
                if (!alive.contains(id) && running.get(id) == ctx) {
                    abortLater(ctx, AbortReason.LEASE_LOST);
                }
            });
            renewed.stream().filter(DeploymentDao.Renewal::cancelRequested).forEach(r -> cancelLocal(r.id()));
        } catch (RuntimeException e) {
            LOG.warn("Renewing build leases failed; retrying on the next tick", e);
        }
    }

    private void reapExpiredLeases() {
        try {
            var reaped = dao.reapExpired(config.getMaxAttempts(), INTERRUPTED_MESSAGE);
            for (var r : reaped) {
                metrics.reaped(r);
                events.changed(r.id());
                LOG.warn("Deployment {} lost its build node; now {}", r.id(), r.status().dbValue());
            }
            if (!reaped.isEmpty()) {
                wake.signal();
            }
        } catch (RuntimeException e) {
            LOG.warn("Reaping expired build leases failed; retrying on the next tick", e);
        }
    }
}
