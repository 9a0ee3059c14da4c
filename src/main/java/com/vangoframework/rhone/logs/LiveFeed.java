package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment watched on this node, shared by all its viewers: the recent chunks of its log, its
 * build steps (each as last changed, within a count and a byte budget), its latest attempt's
 * phases, its steps' reset point and its status as last read, and a version that moves when any of
 * them changes. {@link LiveLogs} asks it to read again when a notification arrives; the
 * reads run on the live logs' readers.
 */
final class LiveFeed {

    /** Chunks kept per watched deployment (a chunk is at most 256 lines or 64 KiB). */
    static final int RECENT_CHUNKS = 32;
    /** A failed read is tried again after a pause (a database blip must not freeze a page). */
    static final long RETRY_MILLIS = 1000;
    /** What a refresh reads: any of these, or'ed. */
    static final int LINES = 1;
    static final int STATUS = 2;
    static final int STEPS = 4;
    static final int PHASES = 8;
    static final int ALL = LINES | STATUS | STEPS | PHASES;
    /**
     * Step changes read per query; a feed holds the last state of at most {@link #MAX_STEPS} steps
     * and about {@link #MAX_STEP_BYTES} of them (a step's last lines can be long): a viewer
     * further behind reads the database.
     */
    static final int STEP_BATCH = 200;
    static final int MAX_STEPS = 1000;
    static final long MAX_STEP_BYTES = 2L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);

    final long deploymentId;
    int viewers; // guarded by the live logs' feeds map's compute
    private final LogChunkDao chunks;
    private final DeploymentDao deployments;
    private final StepDao stepDao;
    private final Executor readers;
    private final ScheduledExecutorService retries;
    private final ArrayDeque<LogChunkDao.Stored> recent = new ArrayDeque<>();
    private Deployment current;
    private long version;
    private boolean draining;
    private boolean linesDirty;
    private boolean statusDirty;
    private boolean stepsDirty;
    private boolean phasesDirty;
    /**
     * Each step (attempt, vertex) as last changed, in the order of those changes, for the steps
     * whose last change is after {@code stepBase}; {@code stepBytes}: about what they hold;
     * {@code stepSeen}: the last change read; {@code resetPoint}: where the steps were last
     * deleted (see {@link StepDao#resetPoint}). Before the first read ({@code stepsRead} false)
     * viewers ask the database.
     */
    private final LinkedHashMap<Long, StepDao.StoredStep> steps = new LinkedHashMap<>();
    private long stepBytes;
    private long stepBase;
    private long stepSeen;
    private long resetPoint;
    private boolean stepsRead;
    /** The latest attempt's phases as last read; null before the first read. */
    private List<StepDao.StoredPhase> phases;

    LiveFeed(Deployment current, LogChunkDao chunks, DeploymentDao deployments, StepDao stepDao, Executor readers,
             ScheduledExecutorService retries) {
        this.deploymentId = current.id();
        this.current = current;
        this.chunks = chunks;
        this.deployments = deployments;
        this.stepDao = stepDao;
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

    /**
     * The steps whose last change is after {@code afterSeq}, in the order of those changes, if this
     * feed holds all of them (it does once read, unless the viewer is further behind than the
     * {@link #MAX_STEPS} it keeps).
     */
    synchronized Optional<List<StepDao.StoredStep>> stepsAfter(long afterSeq) {
        if (!stepsRead || afterSeq < stepBase) {
            return Optional.empty();
        }
        List<StepDao.StoredStep> out = new ArrayList<>();
        for (StepDao.StoredStep s : steps.values()) { // in the order of their last change
            if (s.changeSeq() > afterSeq) {
                out.add(s);
            }
        }
        return Optional.of(out);
    }

    /** The steps' reset point as last read, if read yet. */
    synchronized Optional<Long> resetPoint() {
        return stepsRead ? Optional.of(resetPoint) : Optional.empty();
    }

    /** The latest attempt's phases as last read; null before the first read. */
    synchronized List<StepDao.StoredPhase> phases() {
        return phases;
    }

    /** About how many bytes of step state this feed holds. */
    synchronized long stepBytes() {
        return stepBytes;
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
    void requestRefresh(int what) {
        synchronized (this) {
            statusDirty |= (what & STATUS) != 0;
            linesDirty |= (what & LINES) != 0;
            stepsDirty |= (what & STEPS) != 0;
            phasesDirty |= (what & PHASES) != 0;
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
            boolean readLines;
            boolean readSteps;
            boolean readPhases;
            long from;
            long stepsFrom;
            long knownReset;
            synchronized (this) {
                if (!linesDirty && !statusDirty && !stepsDirty && !phasesDirty) {
                    draining = false;
                    return;
                }
                readStatus = statusDirty;
                readLines = linesDirty;
                readSteps = stepsDirty;
                readPhases = phasesDirty;
                statusDirty = false;
                linesDirty = false;
                stepsDirty = false;
                phasesDirty = false;
                from = recent.isEmpty() ? -1 : recent.peekLast().end();
                stepsFrom = stepSeen;
                knownReset = stepsRead ? resetPoint : -1;
            }
            try {
                // Status first: a viewer that sees a finished status and then no new lines ends
                // its stream, so the lines read after the status must include the last ones.
                // Steps are read after the status for the same reason.
                Deployment latest = readStatus ? deployments.findById(deploymentId).orElse(null) : null;
                List<LogChunkDao.Stored> fresh = !readLines ? List.of() : from < 0
                        ? chunks.tailChunks(deploymentId, 1)
                        : chunks.chunksAfter(deploymentId, from, RECENT_CHUNKS);
                List<StepDao.StoredStep> changed = readSteps
                        ? stepDao.stepsChangedAfter(deploymentId, stepsFrom, STEP_BATCH) : List.of();
                // The reset point after the steps: a step numbered after a delete was written after
                // it, so a read that found such a step also finds that delete's reset point.
                long reset = readSteps ? stepDao.resetPoint(deploymentId) : 0;
                boolean wasReset = readSteps && reset != knownReset;
                if (wasReset && stepsFrom > 0) {
                    // Steps were deleted: what this feed holds may include them; read all again.
                    changed = stepDao.stepsChangedAfter(deploymentId, 0, STEP_BATCH);
                }
                List<StepDao.StoredPhase> phaseList = readPhases ? stepDao.latestPhases(deploymentId) : null;
                keep(fresh, latest, readStatus, changed, readSteps, wasReset, reset, phaseList);
            } catch (RuntimeException e) {
                LOG.warn("Could not read the live log of deployment {}; trying again in {} ms", deploymentId,
                        RETRY_MILLIS, e);
                synchronized (this) {
                    statusDirty |= readStatus;
                    linesDirty |= readLines;
                    stepsDirty |= readSteps;
                    phasesDirty |= readPhases;
                    draining = false;
                }
                retries.schedule(() -> requestRefresh(0), RETRY_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
        }
    }

    /** Takes in what one read found and wakes the viewers. */
    private synchronized void keep(List<LogChunkDao.Stored> fresh, Deployment latest, boolean readStatus,
                                   List<StepDao.StoredStep> changed, boolean readSteps, boolean wasReset,
                                   long reset, List<StepDao.StoredPhase> phaseList) {
        boolean moreLines = fresh.size() == RECENT_CHUNKS;
        boolean moreSteps = changed.size() == STEP_BATCH;
        if (moreLines || moreSteps) {
            // Not caught up with the stored lines or steps yet: the status waits until we are, or
            // a viewer could see "finished" with lines or steps still unread.
            linesDirty |= moreLines;
            stepsDirty |= moreSteps;
            statusDirty |= readStatus;
        } else if (latest != null) {
            current = latest;
        }
        if (wasReset) {
            // Forget every step: the feed (and every viewer, fresh ones too) must not be served
            // a deleted row from memory.
            steps.clear();
            stepBytes = 0;
            stepBase = 0;
            stepSeen = 0;
            resetPoint = reset;
        }
        if (readSteps) {
            keepSteps(changed);
        }
        if (phaseList != null) {
            phases = List.copyOf(phaseList);
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

    private void keepSteps(List<StepDao.StoredStep> changed) {
        for (StepDao.StoredStep s : changed) {
            if (s.changeSeq() > stepSeen) {
                long key = ((long) s.attempt() << 32) | (s.vertex() & 0xffffffffL);
                StepDao.StoredStep old = steps.remove(key); // re-put: the map stays in change order
                if (old != null) {
                    stepBytes -= bytes(old);
                }
                steps.put(key, s);
                stepBytes += bytes(s);
                stepSeen = s.changeSeq();
            }
        }
        stepsRead = true;
        // A viewer further behind than what is kept reads the database instead.
        Iterator<StepDao.StoredStep> oldest = steps.values().iterator();
        while (steps.size() > MAX_STEPS || stepBytes > MAX_STEP_BYTES && steps.size() > 1) {
            StepDao.StoredStep old = oldest.next();
            oldest.remove();
            stepBytes -= bytes(old);
            stepBase = Math.max(stepBase, old.changeSeq());
        }
    }

    /** About what a step holds in memory: its texts (two bytes a character) and the rest. */
    static long bytes(StepDao.StoredStep s) {
        return 160 + 2L * (s.name().length() + length(s.stage()) + length(s.error()) + length(s.lastLines()));
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
