package com.vangoframework.rhone.deployments;

import com.codahale.metrics.MetricRegistry;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.db.PgListener;
import com.vangoframework.rhone.deployments.BuildContext.AbortReason;
import com.vangoframework.rhone.threads.FailureStreak;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable, bounded build queue of one node. The deployments table is the queue; this class
 * claims rows with a lease, runs them on a fixed pool of workers, renews the leases, reaps the
 * leases of nodes that died, and hands its own work back to the queue when it stops.
 *
 * <p>Threads, all made in {@link #start} and ended in {@link #stop}, in that order: one dispatcher
 * (claims while slots are free), {@code maxConcurrent} workers (each runs a {@link BuildWorker}),
 * their progress writers, the {@link LeaseKeeper}'s timer and aborters, and one LISTEN connection.
 */
public final class BuildQueue implements Managed {

    public static final String INTERRUPTED_MESSAGE = "interrupted: the build node stopped";

    /** The failure sentence of a build lost because its node could not reach the database. */
    static String lostContact(java.time.Duration outage) {
        return "the build's node lost contact with the database for " + Math.max(1, outage.toSeconds()) + " s";
    }
    private static final Logger LOG = LoggerFactory.getLogger(BuildQueue.class);
    private static final String UNIQUE_VIOLATION = "23505";

    private final DeploymentDao dao;
    private final AppDao apps;
    private final BuildPipeline pipeline;
    private final BuildsConfiguration config;
    private final String nodeId;
    private final Clock clock;
    private final FailureStreak claimFailures;
    private final QueueMetrics metrics;
    private final LeaseKeeper keeper;
    private final BuildOutput output;
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
    private ExecutorService progressWriter;
    private BuildWorker worker;
    private Thread dispatcher;
    private Thread listenerThread;

    public BuildQueue(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, BuildsConfiguration config,
                      String nodeId, DatabaseTarget listenTarget, MetricRegistry registry, Clock clock) {
        this(dao, apps, pipeline, config, nodeId, listenTarget, registry, clock, DeploymentEvents.NONE);
    }

    public BuildQueue(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, BuildsConfiguration config,
                      String nodeId, DatabaseTarget listenTarget, MetricRegistry registry, Clock clock,
                      DeploymentEvents events) {
        this(dao, apps, pipeline, config, nodeId, listenTarget, registry, clock, events, BuildOutput.NONE);
    }

    /** {@code output}: what builds write besides their row (the log store); an outcome waits for it. */
    public BuildQueue(DeploymentDao dao, AppDao apps, BuildPipeline pipeline, BuildsConfiguration config,
                      String nodeId, DatabaseTarget listenTarget, MetricRegistry registry, Clock clock,
                      DeploymentEvents events, BuildOutput output) {
        this.events = events;
        this.output = output;
        this.dao = dao;
        this.apps = apps;
        this.pipeline = pipeline;
        this.config = config;
        this.nodeId = nodeId;
        this.clock = clock;
        this.claimFailures = FailureStreak.of(LOG, "Claiming a build", clock);
        this.slots = new Semaphore(config.getMaxConcurrent());
        this.metrics = new QueueMetrics(registry, dao::countPending, running::size);
        this.keeper = new LeaseKeeper(dao, config, nodeId, running, metrics, events, wake::signal, clock, output);
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

    /** Whether claims wait for other teams' running builds (builds.oneTeamAtATime). */
    public boolean oneTeamAtATime() {
        return config.isOneTeamAtATime();
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
        workers = NamedThreads.fixed("rhone-build-", config.getMaxConcurrent());
        progressWriter = NamedThreads.fixed("rhone-progress-", config.getMaxConcurrent());
        worker = new BuildWorker(dao, apps, pipeline, events, metrics, clock, running, keeper, progressWriter,
                () -> accepting, output);
        keeper.start();
        listenerThread = NamedThreads.thread("rhone-queue-listener", listener);
        listenerThread.start();
        dispatcher = NamedThreads.thread("rhone-build-dispatcher", this::dispatchLoop);
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
            keeper.stop();
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
        keeper.cancelLocal(deploymentId);
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
                claimFailures.succeeded();
                if (claimed.isPresent()) {
                    Deployment d = claimed.get();
                    metrics.claimed(d, clock.instant());
                    workers.execute(() -> {
                        try {
                            worker.execute(d);
                        } finally {
                            slots.release();
                            wake.signal();
                        }
                    });
                    handedOff = true;
                }
            } catch (RuntimeException e) {
                claimFailures.failed(e); // tried again after the poll interval
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
        // A row this node still runs may be pending for a moment (reaped while the node was cut off
        // from the database): its lease keeper takes it back, the dispatcher must not start it twice.
        long[] mine = running.keySet().stream().mapToLong(Long::longValue).toArray();
        var request = new DeploymentDao.ClaimRequest(nodeId, config.getLeaseDuration().toMilliseconds(), mine);
        // Two nodes may pick different pending rows of one app at once; the unique index lets one
        // win and the other's statement fail. That loser simply looks again.
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return config.isOneTeamAtATime() ? dao.claimNextOneTeamAtATime(request) : dao.claimNext(request);
            } catch (UnableToExecuteStatementException e) {
                if (!(e.getCause() instanceof SQLException sql) || !UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                    throw e;
                }
            }
        }
        return Optional.empty();
    }
}
