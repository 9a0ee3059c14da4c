package com.vangoframework.rhone.web;

import java.util.Optional;

/**
 * Where a log stream resumes: the number of log lines sent and the last build step change sent
 * ({@code change_seq}, migration V14). Written as the event {@code id:} and read back from
 * {@code Last-Event-ID} or the page's {@code ?after=}: {@code <lines>.<change>}, or just
 * {@code <lines>} while no step was sent (so a stream without steps reads as it always did, and a
 * plain number from an older page means lines only).
 */
public record LogCursor(long lines, long change) {

    public static final LogCursor START = new LogCursor(0, 0);

    public LogCursor {
        lines = Math.max(0, lines);
        change = Math.max(0, change);
    }

    /**
     * Read leniently: {@code "120"}, {@code "120.57"}; a step part that is not a number counts as
     * none ({@code "120.x"} is 120 lines), anything else is no cursor at all.
     */
    public static Optional<LogCursor> parse(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        int dot = v.indexOf('.');
        Optional<Long> lines = number(dot < 0 ? v : v.substring(0, dot));
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        long change = dot < 0 ? 0 : number(v.substring(dot + 1)).orElse(0L);
        return Optional.of(new LogCursor(lines.get(), change));
    }

    private static Optional<Long> number(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return Optional.empty();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return Optional.empty();
            }
        }
        return Optional.of(Long.parseLong(s));
    }

    public LogCursor withLines(long n) {
        return new LogCursor(n, change);
    }

    public LogCursor withChange(long seq) {
        return new LogCursor(lines, seq);
    }

    /** The event id: {@code <lines>} or {@code <lines>.<change>}. */
    public String id() {
        return change == 0 ? Long.toString(lines) : lines + "." + change;
    }
}
