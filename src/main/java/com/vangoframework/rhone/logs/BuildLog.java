package com.vangoframework.rhone.logs;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build's log writer. Lines are masked as they arrive, stamped with their time, buffered and
 * written in batches (a chunk per flush: at 256 lines, 64 KiB, or 100 ms after the first buffered
 * line), never rewriting what is stored. Past the cap one truncation line is written and the rest
 * is dropped. Safe to call from several threads (the process reader and the pipeline).
 */
public final class BuildLog implements AutoCloseable {

    static final int FLUSH_LINES = 256;
    static final int FLUSH_BYTES = 64 * 1024;
    static final long FLUSH_DELAY_MILLIS = 100;
    private static final int MAX_LINE_CHARS = 16 * 1024;
    private static final java.util.regex.Pattern LINE_BREAK = java.util.regex.Pattern.compile("\\r\\n|\\r|\\n");
    private static final Logger LOG = LoggerFactory.getLogger(BuildLog.class);

    private final long deploymentId;
    private final LogChunkDao dao;
    private final UnaryOperator<String> masker;
    private final long capBytes;
    private final Clock clock;
    private final ScheduledExecutorService flusher;
    private final List<String> buffer = new ArrayList<>();
    private int bufferBytes;
    private long storedBytes;
    private boolean truncated;
    private boolean closed;
    private ScheduledFuture<?> pendingFlush;

    BuildLog(long deploymentId, LogChunkDao dao, UnaryOperator<String> masker, long capBytes, Clock clock,
             ScheduledExecutorService flusher) {
        this.deploymentId = deploymentId;
        this.dao = dao;
        this.masker = masker;
        this.capBytes = capBytes;
        this.clock = clock;
        this.flusher = flusher;
        // A retried claim continues the same log after what an earlier attempt wrote.
        this.storedBytes = dao.storedBytes(deploymentId);
    }

    /**
     * Appends one line (a trailing newline or carriage return is dropped; long lines are cut).
     * Text with line breaks inside becomes several lines, so a stored line never holds a CR or
     * LF: readers (the SSE stream's one {@code data:} field per line) can rely on that.
     */
    public void line(String text) {
        // Mask first: cutting or splitting first could break a secret and store a piece of it.
        String masked = masker.apply(text == null ? "" : stripLineEnd(text));
        if (masked.indexOf('\n') >= 0 || masked.indexOf('\r') >= 0) {
            for (String part : LINE_BREAK.split(masked, -1)) {
                store(part);
            }
        } else {
            store(masked);
        }
    }

    private void store(String masked) {
        String clean = masked;
        if (clean.length() > MAX_LINE_CHARS) {
            clean = clean.substring(0, MAX_LINE_CHARS) + " [line cut at " + MAX_LINE_CHARS + " characters]";
        }
        String stamped = DateTimeFormatter.ISO_INSTANT.format(clock.instant()) + " " + clean;
        int bytes = stamped.getBytes(StandardCharsets.UTF_8).length + 1;
        synchronized (this) {
            if (closed || truncated) {
                return;
            }
            if (storedBytes + bufferBytes + bytes > capBytes) {
                truncated = true;
                String marker = DateTimeFormatter.ISO_INSTANT.format(clock.instant())
                        + " [log truncated: the build printed more than " + (capBytes / (1024 * 1024))
                        + " MiB; later lines are not stored]";
                add(marker, marker.length() + 1);
                flushLocked();
                return;
            }
            add(stamped, bytes);
            if (buffer.size() >= FLUSH_LINES || bufferBytes >= FLUSH_BYTES) {
                flushLocked();
            } else if (pendingFlush == null) {
                try {
                    pendingFlush = flusher.schedule(this::flush, FLUSH_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    flushLocked(); // the service is stopping: write now rather than never
                }
            }
        }
    }

    private void add(String stamped, int bytes) {
        buffer.add(stamped);
        bufferBytes += bytes;
    }

    public synchronized void flush() {
        flushLocked();
    }

    private void flushLocked() {
        if (pendingFlush != null) {
            pendingFlush.cancel(false);
            pendingFlush = null;
        }
        if (buffer.isEmpty()) {
            return;
        }
        LogChunkDao.Chunk chunk = new LogChunkDao.Chunk(deploymentId, buffer.size(), bufferBytes,
                String.join("\n", buffer));
        RuntimeException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                dao.append(chunk);
                failure = null;
                break;
            } catch (RuntimeException e) {
                failure = e; // a numbering race with another writer, or the database: try again
            }
        }
        if (failure != null) {
            // Losing log lines must not fail the build; the next flush tries again with them.
            LOG.warn("Could not store {} log lines of deployment {}; will retry", buffer.size(), deploymentId, failure);
            return;
        }
        storedBytes += bufferBytes;
        buffer.clear();
        bufferBytes = 0;
    }

    @Override
    public synchronized void close() {
        flushLocked();
        closed = true;
    }

    private static String stripLineEnd(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }
}
