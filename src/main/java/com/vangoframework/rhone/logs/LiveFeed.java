package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment watched on this node, shared by all its viewers: the recent chunks of its log and
 * its status as last read, and a version that moves when either changes. {@link LiveLogs} asks it
 * to read again when a notification arrives; the reads run on the live logs' readers.
 */
final class LiveFeed {

    /** Chunks kept per watched deployment (a chunk is at most 256 lines or 64 KiB). */
    static final int RECENT_CHUNKS = 32;
    /** A failed read is tried again after a pause (a database blip must not freeze a page). */
    static final long RETRY_MILLIS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);

    final long deploymentId;
    int viewers; // guarded by the live logs' feeds map's compute
    private final LogChunkDao chunks;
    private final DeploymentDao deployments;
    private final Executor readers;
    private final ScheduledExecutorService retries;
    private final ArrayDeque<LogChunkDao.Stored> recent = new ArrayDeque<>();
    private Deployment current;
    private long version;
    private boolean draining;
    private boolean linesDirty;
    private boolean statusDirty;

    LiveFeed(Deployment current, LogChunkDao chunks, DeploymentDao deployments, Executor readers,
             ScheduledExecutorService retries) {
        this.deploymentId = current.id();
        this.current = current;
        this.chunks = chunks;
        this.deployments = deployments;
        this.readers = readers;
        this.retries = retries;
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
        } catch (RejectedExecutionException stopping) {
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
                keep(fresh, latest, readStatus);
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

    /** Takes in what one read found and wakes the viewers. */
    private synchronized void keep(List<LogChunkDao.Stored> fresh, Deployment latest, boolean readStatus) {
        if (fresh.size() == RECENT_CHUNKS) {
            // Not caught up with the stored lines yet: the status waits until we are, or a
            // viewer could see "finished" with lines still unread.
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
}
