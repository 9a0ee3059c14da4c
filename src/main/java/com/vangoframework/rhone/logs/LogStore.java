package com.vangoframework.rhone.logs;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;

/**
 * Opens build logs for writing and reads them back. Idle buffers are flushed on {@code flusher},
 * which the caller owns (the service's lifecycle stops it after the build queue).
 */
public final class LogStore {

    public static final long DEFAULT_CAP_BYTES = 10L * 1024 * 1024;

    private final LogChunkDao dao;
    private final long capBytes;
    private final Clock clock;
    private final ScheduledExecutorService flusher;

    public LogStore(LogChunkDao dao, long capBytes, Clock clock, ScheduledExecutorService flusher) {
        this.dao = dao;
        this.capBytes = capBytes;
        this.clock = clock;
        this.flusher = flusher;
    }

    /** A writer for one deployment; {@code masker} hides secret values before anything is stored. */
    public BuildLog open(long deploymentId, UnaryOperator<String> masker) {
        return new BuildLog(deploymentId, dao, masker, capBytes, clock, flusher);
    }

    /** The whole stored log, lines separated by '\n'. */
    public String read(long deploymentId) {
        var contents = dao.contents(deploymentId);
        return contents.isEmpty() ? "" : String.join("\n", contents) + "\n";
    }

    /** About the last {@code maxChars} characters of the log, cut at a line start. */
    public String tail(long deploymentId, int maxChars) {
        return LogLines.tail(dao.lastChunks(deploymentId, 8), maxChars);
    }
}
