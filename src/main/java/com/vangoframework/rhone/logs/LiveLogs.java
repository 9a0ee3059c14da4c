package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.db.PgListener;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live fan-out of build logs, build steps and status changes to the viewers on this instance,
 * whichever instance runs the build: the database tells every instance ({@code rhone_log} when a
 * chunk is stored, payload {@code <id>:<lines>}; a build step changed, {@code <id>:s<change_seq>};
 * step rows were deleted, {@code <id>:r<change_seq>}; a phase changed, {@code <id>:p}; see
 * migrations V5 and V14; {@code rhone_deployment} when a status changes), and this instance reads
 * each new chunk, each step change and the phases once per watched deployment and keeps the recent
 * ones in memory, so a hundred viewers of one build cost one
 * query per change, not a hundred. The same notifications
 * reach the {@link DeploymentWatcher}s (the live app pages), so one listening connection serves
 * every live page. What one watched deployment holds is its {@link LiveFeed}.
 *
 * <p>Threads, made in {@link #start} and ended in {@link #stop}: the listener, a few readers (one
 * read per feed at a time) and one timer that retries a failed read.
 */
public final class LiveLogs implements Managed {

    static final String LOG_CHANNEL = "rhone_log";
    static final String STATUS_CHANNEL = "rhone_deployment";
    /**
     * Chunks one viewer reads from the database at a time while catching up: a few, since every
     * lagging viewer holds its read in memory until it is written out (200 viewers reading 32
     * chunks of 64 KiB each held over 100 MiB).
     */
    static final int CATCH_UP_CHUNKS = 4;
    /** Step changes one viewer reads from the database at a time while catching up. */
    static final int CATCH_UP_STEPS = 100;
    private static final Logger LOG = LoggerFactory.getLogger(LiveLogs.class);

    private final LogChunkDao chunks;
    private final DeploymentDao deployments;
    private final StepDao steps;
    private final PgListener listener;
    private final Map<Long, LiveFeed> feeds = new ConcurrentHashMap<>();
    /** Read new chunks and statuses off the listener thread; from start() to stop(). */
    private volatile ExecutorService readers;
    private volatile ScheduledExecutorService retries;
    private Thread listenerThread;
    private final List<DeploymentWatcher> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Hears of every deployment that changed, on the listener thread: hand the work off at once. */
    public interface DeploymentWatcher {
        /** A deployment was requested, changed status, or learned its commit. */
        void changed(long deploymentId);

        /** The listener reconnected: changes may have been missed meanwhile. */
        void missedSome();
    }

    public LiveLogs(DatabaseTarget target, LogChunkDao chunks, DeploymentDao deployments, StepDao steps) {
        this.chunks = chunks;
        this.deployments = deployments;
        this.steps = steps;
        this.listener = new PgListener(target, "rhone-live-logs", Map.of(
                LOG_CHANNEL, this::logNotified,
                STATUS_CHANNEL, this::statusNotified), this::refreshAll);
    }

    @Override
    public synchronized void start() {
        if (listenerThread != null) {
            return;
        }
        readers = NamedThreads.fixed("rhone-live-logs-", 2);
        retries = NamedThreads.scheduled("rhone-live-logs-retry");
        listenerThread = NamedThreads.thread("rhone-live-logs-listener", listener);
        listenerThread.start();
    }

    /** Stops listening first, so no notification reaches a reader that has stopped. */
    @Override
    public synchronized void stop() throws InterruptedException {
        if (listenerThread == null || readers.isShutdown()) {
            return;
        }
        listener.stop();
        listenerThread.join(TimeUnit.SECONDS.toMillis(5));
        NamedThreads.stopNow(readers, Duration.ofSeconds(5));
        NamedThreads.stopNow(retries, Duration.ofSeconds(5));
    }

    public boolean isConnected() {
        return listener.isConnected();
    }

    public void watchDeployments(DeploymentWatcher watcher) {
        watchers.add(watcher);
    }

    /** Starts watching a deployment; close the subscription when the viewer leaves. */
    public Subscription subscribe(Deployment deployment) {
        if (readers == null) {
            throw new IllegalStateException("live logs are not started");
        }
        LiveFeed feed = feeds.compute(deployment.id(), (id, existing) -> {
            LiveFeed f = existing != null ? existing
                    : new LiveFeed(deployment, chunks, deployments, steps, readers, retries);
            f.viewers++;
            return f;
        });
        // Whatever happened before the feed existed is read once now.
        feed.requestRefresh(LiveFeed.ALL);
        return new Subscription(feed);
    }

    private void logNotified(String payload) {
        int colon = payload.indexOf(':');
        long id;
        try {
            id = Long.parseLong(colon < 0 ? payload : payload.substring(0, colon));
        } catch (NumberFormatException e) {
            LOG.warn("Ignoring a malformed log notification: {}", payload);
            return;
        }
        LiveFeed feed = feeds.get(id);
        if (feed != null) {
            char kind = colon >= 0 && colon + 1 < payload.length() ? payload.charAt(colon + 1) : '0';
            // A delete ('r') is read with the steps: their read also reads the reset point.
            feed.requestRefresh(kind == 's' || kind == 'r' ? LiveFeed.STEPS
                    : kind == 'p' ? LiveFeed.PHASES : LiveFeed.LINES);
        }
    }

    private void statusNotified(String payload) {
        long id;
        try {
            id = Long.parseLong(payload);
        } catch (NumberFormatException e) {
            LOG.warn("Ignoring a malformed status notification: {}", payload);
            return;
        }
        LiveFeed feed = feeds.get(id);
        if (feed != null) {
            feed.requestRefresh(LiveFeed.LINES | LiveFeed.STATUS);
        }
        watchers.forEach(w -> w.changed(id));
    }

    /** After a reconnect nothing is known about what was missed: read every watched feed again. */
    private void refreshAll() {
        feeds.values().forEach(f -> f.requestRefresh(LiveFeed.ALL));
        watchers.forEach(DeploymentWatcher::missedSome);
    }

    /** What one viewer holds; its methods are safe to call from the viewer's thread. */
    public final class Subscription implements AutoCloseable {
        private final LiveFeed feed;
        private boolean closed;

        private Subscription(LiveFeed feed) {
            this.feed = feed;
        }

        /** The deployment as last read. */
        public Deployment deployment() {
            return feed.current();
        }

        /** A counter that moves whenever lines, steps or the status change; pass it to {@link #await}. */
        public long version() {
            return feed.version();
        }

        /**
         * The stored lines after the first {@code afterLine}, up to a few chunks: from memory when
         * they are recent, else from the database (a viewer catching up on a long log).
         */
        public List<LogChunkDao.Stored> after(long afterLine) {
            Optional<List<LogChunkDao.Stored>> recent = feed.recentAfter(afterLine);
            return recent.orElseGet(() -> chunks.chunksAfter(feed.deploymentId, afterLine, CATCH_UP_CHUNKS));
        }

        /**
         * The steps whose last change is after {@code afterSeq} ({@code change_seq}), each as last
         * changed, in the order of those changes: from memory when the feed holds them, else a few
         * from the database (a viewer catching up from far behind).
         */
        public List<StepDao.StoredStep> stepsAfter(long afterSeq) {
            return feed.stepsAfter(afterSeq)
                    .orElseGet(() -> steps.stepsChangedAfter(feed.deploymentId, afterSeq, CATCH_UP_STEPS));
        }

        /**
         * The change where the deployment's steps were last deleted (0: never): a viewer that got
         * steps up to an earlier change must read them again. From memory once the feed read it.
         */
        public long resetPoint() {
            return feed.resetPoint().orElseGet(() -> steps.resetPoint(feed.deploymentId));
        }

        /** The latest attempt's phases as last read by this node; null until read. */
        public List<StepDao.StoredPhase> phases() {
            return feed.phases();
        }

        /** About how many bytes of step state the feed holds (for tests). */
        long stepBytes() {
            return feed.stepBytes();
        }

        /**
         * Waits until something changes after {@code version}, or the time is up. While this node
         * is not listening (its connection is being re-established), a wait that times out reads
         * the database itself: nothing announces changes then.
         */
        public void await(long version, long millis) throws InterruptedException {
            feed.await(version, millis);
            if (feed.version() == version && !listener.isConnected()) {
                feed.requestRefresh(LiveFeed.ALL);
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            feeds.computeIfPresent(feed.deploymentId, (id, f) -> --f.viewers == 0 ? null : f);
        }
    }
}
