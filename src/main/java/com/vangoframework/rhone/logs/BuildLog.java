package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.db.DatabaseFailures;
import com.vangoframework.rhone.db.StoredText;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build's log writer. Lines are masked as they arrive, cleaned of control characters
 * ({@link StoredText#clean}), stamped with their time, and written in chunks, never rewriting what
 * is stored. A line that comes while the writer is idle is written at once, alone: a quiet build's
 * line reaches its viewers without waiting for company. Lines that come while a chunk is being
 * written wait for it and go together in the next chunk (at most 256 lines or 64 KiB each), so a
 * chatty build's chunks grow as fast as its lines come, and the database sets the pace. A round
 * starts no sooner than 25 ms after the last one began: a build printing steadily is stored in at
 * most 40 chunks a second, not a chunk per line (each is an insert, a NOTIFY and a read on every
 * node that has viewers).
 * Safe to call from several threads (the process reader and the pipeline).
 *
 * <p>The cap keeps both ends of a long log, because the end is what matters most (a failing
 * build's error, the push and digest lines): the first half of the cap, the head, is stored as it
 * comes, and live viewers see it at once. Past the head one notice line is stored, and the lines
 * go into a {@link RollingTail} of the other half (less room for the two notice lines), which
 * keeps the newest ones and counts the ones it pushes out. When the log is closed (the build has
 * ended: its outcome line is in the tail) a line saying how many lines were left out is stored,
 * then the tail, after the head like any other lines: line numbers stay contiguous, so the page,
 * the download and a stream resumed with {@code Last-Event-ID} all see head, markers and tail once,
 * in order. A log that never passes the head is stored exactly as it was printed.
 *
 * <p>The database is written only on {@code flusher}, never under the lock that {@link #line}
 * takes: a slow or failing database must not stall the thread that drains a build's output pipe.
 * A chunk the database refuses for what it holds (SQLSTATE class 22 or 23) is dropped at once; one
 * it cannot take for now is tried again with a growing pause, and after {@link #MAX_ATTEMPTS}
 * tries it is dropped with everything buffered behind it. Either way the log says so in a line
 * where the lost lines were: {@code [N lines could not be stored: why]}.
 *
 * <p>A database out of reach ({@link DatabaseFailures#isUnreachable}) is different: the build goes
 * on, so its lines are kept (in memory, bounded by the log cap like everything buffered) and the
 * chunk is tried again, a second apart at most, until the database answers; then they are stored
 * in order. While the queue cannot confirm its lease it {@link #hold}s the log: nothing is written
 * until it {@link #release}s it, or {@link #discard}s the lines because another node has the
 * build. Only then, or if the service stops meanwhile, are they dropped.
 */
public final class BuildLog implements AutoCloseable {

    static final int FLUSH_LINES = 256;
    static final int FLUSH_BYTES = 64 * 1024;
    /** The least time between the starts of two writer rounds of one log: at most 40 chunks a second. */
    static final long MIN_ROUND_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    /** Tries of one chunk while the database fails for now; the pauses between them add up to 6.3 s. */
    static final int MAX_ATTEMPTS = 7;
    static final long FIRST_PAUSE_MILLIS = 100;
    /** The longest pause between tries while the database is out of reach. */
    static final long MAX_PAUSE_MILLIS = 1000;
    /** How long {@link #close()} waits for the writer; longer than all the pauses of one chunk. */
    private static final long CLOSE_WAIT_MILLIS = 30_000;
    private static final int MAX_LINE_CHARS = 16 * 1024;
    /** Room kept in the cap for the notice at the end of the head and the marker before the tail. */
    static final int NOTICE_ROOM = 512;
    /** A retried claim's tail keeps at least this much, past the cap if need be. */
    static final long MIN_TAIL_BYTES = 64 * 1024;
    /** Chunks a round writes before it yields the flusher to other builds' logs. */
    private static final int ROUND_CHUNKS = 16;
    private static final long DONE = -1;
    private static final long GIVE_UP = -2;
    private static final Pattern LINE_BREAK = Pattern.compile("\\r\\n|\\r|\\n");
    private static final Logger LOG = LoggerFactory.getLogger(BuildLog.class);

    private final long deploymentId;
    private final LogChunkDao dao;
    private final UnaryOperator<String> masker;
    private final long capBytes;
    /** Stored as the lines come: the first half of the cap. */
    private final long headBytes;
    /** Kept in memory past the head and stored when the log is closed: the rest of the cap. */
    private final long tailBytes;
    private final Clock clock;
    private final ScheduledExecutorService flusher;

    // All guarded by this.
    private final List<String> buffer = new ArrayList<>();
    private int bufferBytes;
    private long storedBytes;
    /** The chunk being written (or waiting to be tried again); its lines have left the buffer. */
    private Batch inflight;
    private int attempts;
    /** Lines lost since the last stored marker, and why; the next chunk written is the marker. */
    private int droppedLines;
    private String dropReason;
    /**
     * A writer round is scheduled or running; at most one at a time, so chunks stay in order. A
     * round writes until the buffer is empty: lines that come meanwhile join it, they ask for no
     * round of their own.
     */
    private boolean draining;
    /** When the last writer round began ({@link System#nanoTime()}); long ago at first. */
    private long lastRoundStart = System.nanoTime() - MIN_ROUND_GAP_NANOS;
    /** The lines past the head, until close() stores them; null while the log is within its head. */
    private RollingTail tail;
    private boolean closed;
    /** Another node has the build: nothing more is written. */
    private boolean discarded;
    /** The flusher refused work (the service is stopping): no more waiting for the database. */
    private boolean flusherGone;
    /** The last write found the database out of reach. */
    private boolean outOfReach;
    /** The queue does not know whether its node still holds the build: lines are kept, not written. */
    private boolean held;

    private record Batch(LogChunkDao.Chunk chunk, boolean marker) {
    }

    // ---- the line tap: a hook for readers of the build's output, apart from storing it ----

    /**
     * Hears every line as it is stored: masked, cleaned and cut like the stored line, without its
     * time stamp, with the time it arrived. Called on the thread that offered the line, outside
     * the log's lock; it must be quick and must not throw (what it throws is logged and dropped).
     */
    @FunctionalInterface
    public interface LineTap {
        void line(String masked, java.time.Instant at);
    }

    private volatile LineTap tap;

    /** Hands every line from now on to {@code tap} too (null: to nothing). */
    public void tap(LineTap tap) {
        this.tap = tap;
    }

    private void tapLine(String clean) {
        LineTap t = tap;
        if (t == null) {
            return;
        }
        try {
            t.line(clean, clock.instant());
        } catch (RuntimeException e) {
            tap = null; // a reader's bug costs that reader its lines, never the log
            LOG.warn("Deployment {}: a reader of the build's lines failed and hears no more of them", deploymentId, e);
        }
    }

    // ---- end of the line tap ----

    BuildLog(long deploymentId, LogChunkDao dao, UnaryOperator<String> masker, long capBytes, Clock clock,
             ScheduledExecutorService flusher) {
        this.deploymentId = deploymentId;
        this.dao = dao;
        this.masker = masker;
        this.capBytes = capBytes;
        this.headBytes = capBytes / 2;
        this.tailBytes = Math.max(0, capBytes - headBytes - NOTICE_ROOM);
        this.clock = clock;
        this.flusher = flusher;
        // A retried claim continues the same log after what an earlier attempt wrote. Unknown (-1)
        // while the database is out of reach: asked again before the first chunk is written.
        this.storedBytes = storedBytesOrUnknown();
    }

    private long storedBytesOrUnknown() {
        try {
            return dao.storedBytes(deploymentId);
        } catch (RuntimeException e) {
            if (!DatabaseFailures.isUnreachable(e)) {
                throw e;
            }
            LOG.warn("Deployment {}: the database is out of reach as its log opens; lines are kept until it answers",
                    deploymentId, e);
            return -1;
        }
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
        String clean = StoredText.clean(masked);
        if (clean.length() > MAX_LINE_CHARS) {
            clean = clean.substring(0, MAX_LINE_CHARS) + " [line cut at " + MAX_LINE_CHARS + " characters]";
        }
        tapLine(clean);
        String stamped = stamp(clean);
        int bytes = utf8Length(stamped);
        synchronized (this) {
            if (closed || discarded) {
                return;
            }
            if (tail != null) {
                tail.add(stamped, bytes);
                return;
            }
            // A retried claim's writer counts what earlier attempts stored, so it may start past the head.
            if (Math.max(storedBytes, 0) + pendingBytes() + bytes > headBytes) {
                tail = new RollingTail(tailBudget());
                tail.add(stamped, bytes);
                // What a live viewer sees until the build ends: why no more lines come for now.
                String notice = stamp("[the log passed " + RollingTail.size(headBytes) + ", half its cap of "
                        + RollingTail.size(capBytes) + ": later lines are stored when the build ends (only the last "
                        + RollingTail.size(tailBytes) + " of them if there are more)]");
                add(notice, utf8Length(notice));
                requestDrain();
                return;
            }
            add(stamped, bytes);
            requestDrain();
            // Refused (the service is stopping): the lines wait in the buffer for close().
        }
    }

    private void add(String stamped, int bytes) {
        buffer.add(stamped);
        bufferBytes += bytes;
    }

    private long pendingBytes() {
        return bufferBytes + (inflight == null || inflight.marker() ? 0 : inflight.chunk().bytes());
    }

    /**
     * Makes sure a writer round comes now: the flusher runs it as soon as it has a thread free.
     * Nothing while one is on its way or running (it takes these lines too), nor while the log is
     * held ({@link #release()} asks again). False when the flusher refused it (it is stopping).
     */
    private boolean requestDrain() {
        if (draining || held) {
            return true;
        }
        draining = true;
        // A build that prints steadily would otherwise store a chunk per line (an insert, a NOTIFY
        // and a read on every node each): a round starts no sooner than MIN_ROUND_GAP after the
        // last one began, so such a build batches; a quiet build's line finds the gap long past.
        long wait = MIN_ROUND_GAP_NANOS - (System.nanoTime() - lastRoundStart);
        try {
            if (wait > 0) {
                flusher.schedule(this::drain, wait, TimeUnit.NANOSECONDS);
            } else {
                flusher.execute(this::drain);
            }
            return true;
        } catch (RejectedExecutionException stopping) {
            draining = false;
            return false;
        }
    }

    /**
     * One writer round: chunk after chunk until the buffer is empty, each holding whatever came
     * while the one before was written (up to a full chunk). Runs on the flusher, or on the closing
     * thread when the flusher is gone; never two at once.
     */
    private void drain() {
        int written = 0;
        synchronized (this) {
            lastRoundStart = System.nanoTime();
        }
        while (true) {
            Batch batch;
            synchronized (this) {
                if (held) {
                    draining = false; // release() starts a round again
                    notifyAll();
                    return;
                }
                batch = nextBatch();
                if (batch == null) {
                    endRound();
                    return;
                }
            }
            long pause = write(batch);
            if (pause == GIVE_UP) {
                synchronized (this) {
                    endRound(); // the marker goes first in the next round, when lines come or at close
                }
                return;
            }
            if (pause == DONE && ++written % ROUND_CHUNKS == 0 && continueLater(0)) {
                return; // the flusher serves every build's log: let the others have a turn
            }
            if (pause >= 0 && continueLater(pause)) {
                return;
            }
        }
    }

    /** The chunk to write next: a retry, the marker of lost lines, or lines from the buffer. */
    private Batch nextBatch() {
        if (discarded) {
            return null;
        }
        if (inflight != null) {
            return inflight;
        }
        if (droppedLines > 0) {
            String marker = stamp("[" + droppedLines + (droppedLines == 1 ? " line" : " lines")
                    + " could not be stored: " + dropReason + "]");
            inflight = new Batch(new LogChunkDao.Chunk(deploymentId, 1, utf8Length(marker), marker), true);
            return inflight;
        }
        if (buffer.isEmpty()) {
            return null;
        }
        int lines = 0;
        int bytes = 0;
        while (lines < buffer.size() && lines < FLUSH_LINES && bytes < FLUSH_BYTES) {
            bytes += utf8Length(buffer.get(lines));
            lines++;
        }
        List<String> taken = buffer.subList(0, lines);
        inflight = new Batch(new LogChunkDao.Chunk(deploymentId, lines, bytes, String.join("\n", taken)), false);
        taken.clear();
        bufferBytes -= bytes;
        return inflight;
    }

    /**
     * Ends a round. Lines can be left only after the writer gave up on the database (they came
     * while it dropped the rest): the next round, with the marker of the lost lines first, is
     * asked for now, unless the log is closed.
     */
    private void endRound() {
        draining = false;
        if (!buffer.isEmpty() && !closed) {
            requestDrain();
        }
        notifyAll();
    }

    /**
     * Writes one chunk (outside the lock). Answers the pause before trying it again, {@link #DONE}
     * when it is stored or dropped, or {@link #GIVE_UP} when the database did not answer in time.
     */
    private long write(Batch batch) {
        RuntimeException failure;
        try {
            boolean unknown;
            synchronized (this) {
                unknown = storedBytes < 0;
            }
            long known = unknown ? dao.storedBytes(deploymentId) : -1;
            dao.append(batch.chunk());
            synchronized (this) {
                if (known >= 0) {
                    storedBytes = known;
                }
                storedBytes += batch.chunk().bytes();
                if (batch.marker()) {
                    droppedLines = 0;
                }
                if (inflight == batch) {
                    inflight = null;
                }
                attempts = 0;
                outOfReach = false;
                notifyAll();
            }
            return DONE;
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (this) {
            if (discarded) {
                return DONE; // the lines were dropped meanwhile
            }
            if (StoredText.isPermanent(failure)) {
                drop(batch, "the database refused them (SQLSTATE " + StoredText.sqlState(failure) + ")", failure);
                return DONE;
            }
            attempts++;
            boolean waitForDatabase = !flusherGone && DatabaseFailures.isUnreachable(failure);
            outOfReach = waitForDatabase;
            notifyAll(); // close() stops waiting for a database that is out of reach
            if (attempts < MAX_ATTEMPTS || waitForDatabase) {
                if (attempts == 1) {
                    LOG.warn("Could not store {} log lines of deployment {}; trying again", batch.chunk().lineCount(),
                            deploymentId, failure);
                } else if (attempts == MAX_ATTEMPTS) {
                    LOG.warn("Deployment {}: the database is still out of reach; its log lines are kept (up to the "
                            + "log cap) and stored when it answers", deploymentId);
                }
                // A unique violation is another writer of this log taking the same number: go again now.
                return "23505".equals(StoredText.sqlState(failure)) ? 0
                        : Math.min(MAX_PAUSE_MILLIS, FIRST_PAUSE_MILLIS << Math.min(attempts - 1, 10));
            }
            // Whatever waits behind this chunk would meet the same database: drop it all, say so once.
            String reason = "the database did not answer";
            drop(batch, reason, failure);
            if (!buffer.isEmpty()) {
                droppedLines += buffer.size();
                dropReason = reason;
                buffer.clear();
                bufferBytes = 0;
            }
            return GIVE_UP;
        }
    }

    private void drop(Batch batch, String reason, RuntimeException failure) {
        inflight = null;
        attempts = 0;
        if (batch.marker()) {
            LOG.warn("Deployment {}: the line saying that {} log lines were lost could not be stored either",
                    deploymentId, droppedLines, failure);
            droppedLines = 0; // no marker of the marker: the server log above is the record
            return;
        }
        LOG.warn("Deployment {}: {} log lines dropped: {}", deploymentId, batch.chunk().lineCount(), reason, failure);
        droppedLines += batch.chunk().lineCount();
        dropReason = reason;
    }

    /**
     * Goes on with this round after {@code pauseMillis} in a new task on the flusher, so that no
     * flusher thread sleeps for one build; false when the caller must go on itself (no flusher)
     * and the pause has been waited here.
     */
    private boolean continueLater(long pauseMillis) {
        try {
            flusher.schedule(this::drain, pauseMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException stopping) {
            synchronized (this) {
                flusherGone = true; // no more waiting for the database: the bounded tries apply
            }
            if (pauseMillis == 0) {
                return false;
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                synchronized (this) {
                    attempts = MAX_ATTEMPTS - 1; // one last try, then the lines are dropped
                }
            }
            return false;
        }
    }

    /**
     * Drops what is still waiting to be written, and every line after: this node has lost the build
     * to another, whose log this is now. The service log says how many lines were dropped.
     */
    public void discard() {
        int lines;
        synchronized (this) {
            if (discarded) {
                return;
            }
            discarded = true;
            lines = buffer.size() + (inflight == null || inflight.marker() ? 0 : inflight.chunk().lineCount())
                    + (tail == null ? 0 : tail.keptLines());
            tail = null;
            buffer.clear();
            bufferBytes = 0;
            inflight = null;
            attempts = 0;
            droppedLines = 0;
            notifyAll();
        }
        if (lines > 0) {
            LOG.warn("Deployment {}: {} log lines held while the database was out of reach are dropped: another node "
                    + "has the build", deploymentId, lines);
        }
    }

    /** Keeps every line from now on, unwritten, until {@link #release()}. */
    public synchronized void hold() {
        held = true;
    }

    /** Writes what was kept, and goes on writing. */
    public void release() {
        synchronized (this) {
            if (!held) {
                return;
            }
            held = false;
            if (inflight != null || droppedLines > 0 || !buffer.isEmpty()) {
                requestDrain();
            }
        }
    }

    /** Nothing is left to write (or nothing more will be: discarded, or the writer gave up on a closed log). */
    synchronized boolean isSettled() {
        boolean nothingLeft = inflight == null && droppedLines == 0 && buffer.isEmpty()
                && (tail == null || tail.isEmpty());
        return discarded || nothingLeft || (closed && !draining && !held);
    }

    /** Closed and settled: the store may forget it. */
    synchronized boolean isDone() {
        return (closed || discarded) && isSettled();
    }

    /** Waits up to {@code millis} for {@link #isSettled()}; answers it. */
    synchronized boolean awaitSettled(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!isSettled()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return isSettled();
            }
        }
        return true;
    }

    /** Writes what is buffered now and waits for it, like {@link #close()}, and the log stays open. */
    public void flush() {
        writeAll(false);
    }

    /**
     * Writes what is buffered and waits for it, up to a bound: every retry of a failing database
     * is done or given up by then. Lines offered after this are ignored.
     */
    @Override
    public void close() {
        writeAll(true);
    }

    private void writeAll(boolean close) {
        boolean ownRound = false;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = close;
            if (close) {
                storeTail();
            }
            if (!requestDrain()) {
                draining = true;
                ownRound = true;
            }
        }
        if (ownRound) {
            drain(); // the flusher is gone: write on this thread
        }
        awaitWritten();
    }

    /**
     * The tail's share of the cap: the rest of it. A retried claim's log starts past its head
     * (earlier attempts stored it, perhaps with their own tail), so its tail gets what is left of
     * the cap, but never less than {@link #MIN_TAIL_BYTES}: its outcome lines are always kept.
     */
    private long tailBudget() {
        long left = capBytes - NOTICE_ROOM - Math.max(storedBytes, 0) - pendingBytes();
        return Math.min(tailBytes, Math.max(left, Math.min(tailBytes, MIN_TAIL_BYTES)));
    }

    /**
     * The build has ended: what the tail kept goes into the buffer after everything before it, led
     * by a line saying how many lines were left out (none when the tail kept every line past the
     * head). The marker takes the time of the first line after it, so the times stay in order.
     */
    private void storeTail() {
        if (tail == null) {
            return;
        }
        if (tail.leftOutLines() > 0) {
            long n = tail.leftOutLines();
            String marker = tail.oldestStamp(DateTimeFormatter.ISO_INSTANT.format(clock.instant())) + " ["
                    + String.format(Locale.ROOT, "%,d", n) + (n == 1 ? " line" : " lines") + " ("
                    + RollingTail.size(tail.leftOutBytes()) + ") left out: the log passed its cap of "
                    + RollingTail.size(capBytes) + "; its last lines follow]";
            add(marker, utf8Length(marker));
        }
        for (RollingTail.Line line : tail.takeAll()) {
            add(line.stamped(), line.bytes());
        }
        tail = null;
    }

    /** Waits while a writer round is alive and something is left to write. */
    private synchronized void awaitWritten() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        boolean interrupted = false;
        // Held or out of reach: the lines are kept, and the queue waits for them before the outcome.
        while (draining && !outOfReach && (inflight != null || droppedLines > 0 || !buffer.isEmpty())) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                LOG.warn("Deployment {}: its log lines are not all written yet; the writer goes on", deploymentId);
                break;
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                interrupted = true; // the outcome must not be recorded ahead of the last lines
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private String stamp(String text) {
        return DateTimeFormatter.ISO_INSTANT.format(clock.instant()) + " " + text;
    }

    /** The stored size of a line: its UTF-8 bytes and the newline that joins it to the next. */
    private static int utf8Length(String stamped) {
        int bytes = 1;
        for (int i = 0; i < stamped.length(); i++) {
            char c = stamped.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < stamped.length()
                    && Character.isLowSurrogate(stamped.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += Character.isSurrogate(c) ? 1 : 3; // a lone surrogate is sent as '?'
            }
        }
        return bytes;
    }

    private static String stripLineEnd(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }
}
