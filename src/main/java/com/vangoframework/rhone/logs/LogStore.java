package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.deployments.BuildOutput;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;

/**
 * Opens build logs for writing and reads them back. Their chunks are written on {@code flusher},
 * which the caller owns (the service's lifecycle stops it after the build queue).
 *
 * <p>As the queue's {@link BuildOutput} it knows the logs of this node that still hold lines (a
 * build that ran on while the database was out of reach): the queue records a build's outcome only
 * once they are stored, and drops them if another node has taken the build.
 */
public final class LogStore implements BuildOutput {

    public static final long DEFAULT_CAP_BYTES = 10L * 1024 * 1024;

    private final LogChunkDao dao;
    private final long capBytes;
    private final Clock clock;
    private final ScheduledExecutorService flusher;
    /** Logs opened on this node and not yet closed and written, by deployment. */
    private final ConcurrentMap<Long, Set<BuildLog>> unfinished = new ConcurrentHashMap<>();
    /** Deployments whose lines are kept until the queue confirms this node still holds them. */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();

    public LogStore(LogChunkDao dao, long capBytes, Clock clock, ScheduledExecutorService flusher) {
        this.dao = dao;
        this.capBytes = capBytes;
        this.clock = clock;
        this.flusher = flusher;
    }

    /** A writer for one deployment; {@code masker} hides secret values before anything is stored. */
    public BuildLog open(long deploymentId, UnaryOperator<String> masker) {
        forgetDone();
        BuildLog log = new BuildLog(deploymentId, dao, masker, capBytes, clock, flusher);
        synchronized (this) { // with hold and release: a log is held exactly while its deployment is
            if (held.contains(deploymentId)) {
                log.hold();
            }
            unfinished.compute(deploymentId, (id, logs) -> {
                Set<BuildLog> all = logs == null ? ConcurrentHashMap.newKeySet() : logs;
                all.add(log);
                return all;
            });
        }
        return log;
    }

    @Override
    public boolean awaitStored(long deploymentId, Duration max) {
        Set<BuildLog> logs = unfinished.get(deploymentId);
        if (logs == null) {
            return true;
        }
        long deadline = System.nanoTime() + max.toNanos();
        for (BuildLog log : logs) {
            if (!log.awaitSettled(Math.max(0, (deadline - System.nanoTime()) / 1_000_000))) {
                return false;
            }
        }
        forgetDone();
        return true;
    }

    /**
     * Hold, release, discard and the registration in {@link #open} take turns: the lease keeper's
     * hold (a renewal failed) and a worker's release (its own check got through) on two threads
     * must not leave a log held while its deployment is not, which nothing would ever release.
     */
    @Override
    public synchronized void hold(long deploymentId) {
        held.add(deploymentId);
        unfinished.getOrDefault(deploymentId, Set.of()).forEach(BuildLog::hold);
    }

    @Override
    public synchronized void release(long deploymentId) {
        if (held.remove(deploymentId)) {
            unfinished.getOrDefault(deploymentId, Set.of()).forEach(BuildLog::release);
        }
    }

    @Override
    public synchronized void discard(long deploymentId) {
        held.remove(deploymentId);
        Set<BuildLog> logs = unfinished.remove(deploymentId);
        if (logs != null) {
            logs.forEach(BuildLog::discard);
        }
    }

    /** Forgets logs that are closed and written: what is left is what some build still waits for. */
    private void forgetDone() {
        for (Long id : unfinished.keySet()) {
            unfinished.computeIfPresent(id, (key, logs) -> {
                logs.removeIf(BuildLog::isDone);
                return logs.isEmpty() ? null : logs;
            });
        }
    }

    /** The whole stored log, lines separated by '\n'. */
    public String read(long deploymentId) {
        var contents = dao.contents(deploymentId);
        return contents.isEmpty() ? "" : String.join("\n", contents) + "\n";
    }

    /** About the last {@code maxChars} characters of the log, cut at a line start. */
    public String tail(long deploymentId, int maxChars) {
        // A character is at most 4 bytes: chunks holding 4 × maxChars bytes hold maxChars characters.
        return LogLines.tail(dao.lastChunks(deploymentId, 4L * maxChars), maxChars);
    }
}
