package com.vangoframework.rhone.logs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The last part of a log that has passed the head of its cap: the newest lines within a byte
 * budget, kept in memory (already masked, cleaned and stamped) until the build ends, and how many
 * lines and bytes were pushed out to make room. The end of a long failing build (the error, the
 * push and digest lines) is what a reader needs; the lines pushed out are counted, not kept.
 * The budget bounds the kept lines' stored bytes; and, counting {@link #LINE_OVERHEAD} per line (what
 * holding a line costs the heap besides its text), their memory to twice the budget, so that many
 * short lines cannot hold several times it.
 * Not thread-safe: {@link BuildLog} guards it with its lock.
 */
final class RollingTail {

    /** The heap a kept line costs besides its text: the record, the String and its array, a deque slot. */
    static final int LINE_OVERHEAD = 64;

    record Line(String stamped, int bytes) {
    }

    private final long budget;
    private final ArrayDeque<Line> lines = new ArrayDeque<>();
    private long bytes;
    private long leftOutLines;
    private long leftOutBytes;

    RollingTail(long budget) {
        this.budget = budget;
    }

    /** Keeps the line, pushing out the oldest ones while the kept lines are over the budget. */
    void add(String stamped, int size) {
        lines.addLast(new Line(stamped, size));
        bytes += size;
        while (bytes > budget || bytes + (long) lines.size() * LINE_OVERHEAD > 2 * budget) {
            Line oldest = lines.removeFirst();
            bytes -= oldest.bytes();
            leftOutLines++;
            leftOutBytes += oldest.bytes();
        }
    }

    /** Nothing to store: no line kept and none left out. */
    boolean isEmpty() {
        return lines.isEmpty() && leftOutLines == 0;
    }

    int keptLines() {
        return lines.size();
    }

    long leftOutLines() {
        return leftOutLines;
    }

    long leftOutBytes() {
        return leftOutBytes;
    }

    /** The time stamp of the oldest kept line (the text before its first space), if any. */
    String oldestStamp(String otherwise) {
        Line first = lines.peekFirst();
        if (first == null) {
            return otherwise;
        }
        int space = first.stamped().indexOf(' ');
        return space < 0 ? otherwise : first.stamped().substring(0, space);
    }

    /** The kept lines, oldest first; the tail is empty afterwards. */
    List<Line> takeAll() {
        List<Line> all = new ArrayList<>(lines);
        lines.clear();
        bytes = 0;
        leftOutLines = 0;
        leftOutBytes = 0;
        return all;
    }

    /** A size for a reader: "512 bytes", "9.8 KiB", "10 MiB", "7.2 MiB". */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes == 1 ? "1 byte" : bytes + " bytes";
        }
        double amount = bytes < 1024 * 1024 ? bytes / 1024.0 : bytes / (1024.0 * 1024.0);
        String unit = bytes < 1024 * 1024 ? " KiB" : " MiB";
        String number = String.format(Locale.ROOT, "%.1f", amount);
        return (number.endsWith(".0") ? number.substring(0, number.length() - 2) : number) + unit;
    }
}
