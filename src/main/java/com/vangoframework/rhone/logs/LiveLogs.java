package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.db.PgListener;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.Executors2;
import io.dropwizard.lifecycle.Managed;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live fan-out of build logs and status changes to the viewers on this instance, whichever
 * instance runs the build: the database tells every instance ({@code rhone_log} when a chunk is
 * stored, {@code rhone_deployment} when a status changes, see migration V5), and this instance
 * reads each new chunk once per watched deployment and keeps the recent ones in memory, so a
 * hundred viewers of one build cost one query per chunk, not a hundred. The same notifications
 * reach the {@link DeploymentWatcher}s (the live app pages), so one listening connection serves
 * every live page.
 */
public final class LiveLogs implements Managed {

    static final String LOG_CHANNEL = "rhone_log";
    static final String STATUS_CHANNEL = "rhone_deployment";
    /** Chunks kept per watched deployment (a chunk is at most 256 lines or 64 KiB). */
    static final int RECENT_CHUNKS = 32;
    /**
     * Chunks one viewer reads from the database at a time while catching up: a few, since every
     * lagging viewer holds its read in memory until it is written out (200 viewers reading 32
     * chunks of 64 KiB each held over 100 MiB).
     */
    static final int CATCH_UP_CHUNKS = 4;
    private static final Logger LOG = LoggerFactory.getLogger(LiveLogs.class);

    private final LogChunkDao chunks;
    private final DeploymentDao deployments;
    private final PgListener listener;
    private final Map<Long, Feed> feeds = new ConcurrentHashMap<>();
    /** Reads new chunks and statuses off the listener thread; one task per feed at a time. */
    private final ExecutorService readers = Executors2.fixed("rhone-live-logs-", 2);
    /** A failed read is tried again after a pause (a database blip must not freeze a page). */
    private final java.util.concurrent.ScheduledExecutorService retries = Executors2.scheduled("rhone-live-logs-retry");
    static final long RETRY_MILLIS = 1000;
    private Thread listenerThread;
    private final List<DeploymentWatcher> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Hears of every deployment that changed, on the listener thread: hand the work off at once. */
    public interface DeploymentWatcher {
        /** A deployment was requested, changed status, or learned its commit. */
        void changed(long deploymentId);

        /** The listener reconnected: changes may have been missed meanwhile. */
        void missedSome();
    }

    public LiveLogs(DatabaseTarget target, LogChunkDao chunks, DeploymentDao deployments) {
        this.chunks = chunks;
        this.deployments = deployments;
        this.listener = new PgListener(target, "rhone-live-logs", Map.of(
                LOG_CHANNEL, this::logNotified,
                STATUS_CHANNEL, this::statusNotified), this::refreshAll);
    }

    @Override
    public void start() {
        listenerThread = Executors2.thread("rhone-live-logs-listener", listener);
        listenerThread.start();
    }

    @Override
    public void stop() throws InterruptedException {
        listener.stop();
        if (listenerThread != null) {
            listenerThread.join(TimeUnit.SECONDS.toMillis(5));
        }
        readers.shutdownNow();
        retries.shutdownNow();
    }

    public boolean isConnected() {
        return listener.isConnected();
    }

    public void watchDeployments(DeploymentWatcher watcher) {
        watchers.add(watcher);
    }

    /** Starts watching a deployment; close the subscription when the viewer leaves. */
    public Subscription subscribe(Deployment deployment) {
        Feed feed = feeds.compute(deployment.id(), (id, existing) -> {
            Feed f = existing == null ? new Feed(id, deployment) : existing;
            f.viewers++;
            return f;
        });
        // Whatever happened before the feed existed is read once now.
        feed.requestRefresh(true);
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
        Feed feed = feeds.get(id);
        if (feed != null) {
            feed.requestRefresh(false);
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
        Feed feed = feeds.get(id);
        if (feed != null) {
            feed.requestRefresh(true);
        }
        watchers.forEach(w -> w.changed(id));
    }

    /** After a reconnect nothing is known about what was missed: read every watched feed again. */
    private void refreshAll() {
        feeds.values().forEach(f -> f.requestRefresh(true));
        watchers.forEach(DeploymentWatcher::missedSome);
    }

    /** What one viewer holds; its methods are safe to call from the viewer's thread. */
    public final class Subscription implements AutoCloseable {
        private final Feed feed;
        private boolean closed;

        private Subscription(Feed feed) {
            this.feed = feed;
        }

        /** The deployment as last read. */
        public Deployment deployment() {
            return feed.current();
        }

        /** A counter that moves whenever lines or the status change; pass it to {@link #await}. */
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
         * Waits until something changes after {@code version}, or the time is up. While this node
         * is not listening (its connection is being re-established), a wait that times out reads
         * the database itself: nothing announces changes then.
         */
        public void await(long version, long millis) throws InterruptedException {
            feed.await(version, millis);
            if (feed.version() == version && !listener.isConnected()) {
                feed.requestRefresh(true);
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

    /** One watched deployment on this instance. */
    private final class Feed {
        final long deploymentId;
        int viewers; // guarded by the feeds map's compute
        private final ArrayDeque<LogChunkDao.Stored> recent = new ArrayDeque<>();
        private Deployment current;
        private long version;
        private boolean draining;
        private boolean linesDirty;
        private boolean statusDirty;

        Feed(long deploymentId, Deployment current) {
            this.deploymentId = deploymentId;
            this.current = current;
        }

        synchronized Deployment current() {
            return current;
        }

        synchronized long version() {
            return version;
        }

        synchronized Optional<List<LogChunkDao.Stored>> recentAfter(long afterLine) {
            if (recent.isEmpty() || afterLine < recent.peekFirst().firstLine()) {
                return Optional.empty();
            }
            List<LogChunkDao.Stored> out = new ArrayList<>();
            for (LogChunkDao.Stored c : recent) {
                if (c.end() > afterLine) {
                    out.add(c);
                }
            }
            return Optional.of(out);
        }

        synchronized void await(long seen, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (version == seen) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                wait(left);
            }
        }

        /**
         * Asks for a read. Notifications are coalesced: one drain runs per feed at a time (never two
         * reads of one feed at once, so an older status can never overwrite a newer one), and it
         * goes on while something asked for another read meanwhile.
         */
        void requestRefresh(boolean status) {
            synchronized (this) {
                statusDirty |= status;
                linesDirty = true;
                if (draining) {
                    return;
                }
                draining = true;
            }
            try {
                readers.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                synchronized (this) {
                    draining = false;
                }
            }
        }

        private void drain() {
            while (true) {
                boolean readStatus;
                long from;
                synchronized (this) {
                    if (!linesDirty && !statusDirty) {
                        draining = false;
                        return;
                    }
                    readStatus = statusDirty;
                    statusDirty = false;
                    linesDirty = false;
                    from = recent.isEmpty() ? -1 : recent.peekLast().end();
                }
                try {
                    // Status first: a viewer that sees a finished status and then no new lines ends
                    // its stream, so the lines read after the status must include the last ones.
                    Deployment latest = readStatus ? deployments.findById(deploymentId).orElse(null) : null;
                    List<LogChunkDao.Stored> fresh = from < 0
                            ? chunks.tailChunks(deploymentId, 1)
                            : chunks.chunksAfter(deploymentId, from, RECENT_CHUNKS);
                    boolean more = fresh.size() == RECENT_CHUNKS;
                    synchronized (this) {
                        if (more) {
                            // Not caught up with the stored lines yet: the status waits until we
                            // are, or a viewer could see "finished" with lines still unread.
                            linesDirty = true;
                            statusDirty |= readStatus;
                        } else if (latest != null) {
                            current = latest;
                        }
                        long end = recent.isEmpty() ? -1 : recent.peekLast().end();
                        for (LogChunkDao.Stored c : fresh) {
                            if (c.end() > end) {
                                recent.addLast(c);
                                end = c.end();
                            }
                        }
                        while (recent.size() > RECENT_CHUNKS) {
                            recent.removeFirst();
                        }
                        version++;
                        notifyAll();
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Could not read the live log of deployment {}; trying again in {} ms", deploymentId,
                            RETRY_MILLIS, e);
                    synchronized (this) {
                        statusDirty |= readStatus;
                        linesDirty = true;
                        draining = false;
                    }
                    retries.schedule(() -> requestRefresh(false), RETRY_MILLIS, TimeUnit.MILLISECONDS);
                    return;
                }
            }
        }
    }
}
