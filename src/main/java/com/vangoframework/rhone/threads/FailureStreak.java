package com.vangoframework.rhone.threads;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The log of a task that fails again and again for one reason (a poll while the database is
 * down): the first failure with its stack trace, then at most one line per {@code every} with the
 * count, and one line when the task works again. Without it a five-second poll writes a stack
 * trace every five seconds for as long as the outage lasts.
 *
 * <p>Tasks that know when they work again call {@link #succeeded()}. Tasks that do not (requests
 * answered 503) count a streak as over once {@code every} has passed without a failure; the next
 * failure then closes it with its count before it starts a new one. Thread-safe.
 */
public final class FailureStreak {

    public static final Duration EVERY = Duration.ofMinutes(1);

    private final Logger log;
    private final String task;
    private final Clock clock;
    private final Duration every;
    private final boolean stackTraces;

    private long failures;
    private long sinceLastLine;
    private Instant started;
    private Instant lastLine;
    private Instant lastFailure;

    private FailureStreak(Logger log, String task, Clock clock, Duration every, boolean stackTraces) {
        this.log = log;
        this.task = task;
        this.clock = clock;
        this.every = every;
        this.stackTraces = stackTraces;
    }

    /** {@code task} reads as the subject of a sentence: "Claiming a build", "Renewing build leases". */
    public static FailureStreak of(Logger log, String task, Clock clock) {
        return new FailureStreak(log, task, clock, EVERY, true);
    }

    /** For failures whose one-line reason says it all (a request answered 503): no stack traces. */
    public static FailureStreak oneLine(Logger log, String task, Clock clock, Duration every) {
        return new FailureStreak(log, task, clock, every, false);
    }

    /** Records a failure: logs it if it starts a streak or a minute has passed since the last line. */
    public void failed(Throwable cause) {
        failed(cause, describe(cause));
    }

    /** As {@link #failed(Throwable)}, with the caller's one-line reason (already safe to log). */
    public synchronized void failed(Throwable cause, String why) {
        String reason = why.endsWith(".") ? why.substring(0, why.length() - 1) : why; // the sentence goes on
        Instant now = clock.instant();
        if (failures > 0 && !stackTraces && !now.isBefore(lastFailure.plus(every))) {
            closeQuietStreak();
        }
        lastFailure = now;
        if (failures++ == 0) {
            started = now;
            lastLine = now;
            if (stackTraces) {
                log.warn("{} failed: {}; while it keeps failing, one line per {} s follows", task, reason,
                        every.toSeconds(), cause);
            } else {
                log.warn("{} failed: {}; while it keeps failing, one line per {} s follows", task, reason,
                        every.toSeconds());
            }
            return;
        }
        sinceLastLine++;
        if (!now.isBefore(lastLine.plus(every))) {
            log.warn("{} is still failing: {} failures in {} s, {} since the last line (latest: {})", task, failures,
                    seconds(started, now), sinceLastLine, reason);
            lastLine = now;
            sinceLastLine = 0;
        }
    }

    /** Records that the task worked; ends a streak with one line. */
    public synchronized void succeeded() {
        if (failures == 0) {
            return;
        }
        log.info("{} works again after {} failures in {} s", task, failures, seconds(started, clock.instant()));
        reset();
    }

    /** Failures in the current streak; 0 when the task last worked. */
    public synchronized long failures() {
        return failures;
    }

    private void closeQuietStreak() {
        log.info("{} failed {} times in {} s, then not for {} s", task, failures, seconds(started, lastFailure),
                every.toSeconds());
        reset();
    }

    private void reset() {
        failures = 0;
        sinceLastLine = 0;
        started = null;
        lastLine = null;
        lastFailure = null;
    }

    private static long seconds(Instant from, Instant to) {
        return Duration.between(from, to).toSeconds();
    }

    /**
     * One bounded line: the innermost SQL failure's state and message when there is one (the
     * driver's "connection attempt failed" says more than the socket's bare EOFException beneath
     * it), else the innermost cause's type and message.
     */
    static String describe(Throwable failure) {
        Throwable root = failure;
        SQLException sql = failure instanceof SQLException s ? s : null;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root instanceof SQLException s) {
                sql = s;
            }
        }
        Throwable shown = sql != null ? sql : root;
        String message = shown.getMessage() == null ? "" : shown.getMessage().lines().findFirst().orElse("");
        String text = (sql != null && sql.getSQLState() != null ? "SQLSTATE " + sql.getSQLState()
                : shown.getClass().getSimpleName()) + (message.isEmpty() ? "" : ": " + message);
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }
}
