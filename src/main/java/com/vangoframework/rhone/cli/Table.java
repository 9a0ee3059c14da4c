package com.vangoframework.rhone.cli;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * What the list commands print: a header and one record per line, columns aligned with spaces.
 * A missing value is {@code -}, never an empty cell, and callers put the one column that may hold
 * spaces (a display name, a source description) last, so {@code tail -n +2} and
 * {@code awk '{print $1}'} work on the output as well as eyes do.
 */
public final class Table {

    public static final String NONE = "-";

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    public Table(String... header) {
        this.columns = header.length;
        rows.add(header);
    }

    /** Cells in header order; null becomes {@value #NONE}, times are printed to the second in UTC. */
    public Table row(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
            row[i] = cell(cells[i]);
        }
        rows.add(row);
        return this;
    }

    public List<String> lines() {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            lines.add(line.toString());
        }
        return lines;
    }

    public static String time(Instant instant) {
        return instant == null ? NONE : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A duration as people set it: whole minutes when it is some, else seconds. */
    public static String seconds(long seconds) {
        return seconds % 60 == 0 ? seconds / 60 + (seconds == 60 ? " minute" : " minutes")
                : seconds + (seconds == 1 ? " second" : " seconds");
    }

    private static String cell(Object value) {
        if (value == null) {
            return NONE;
        }
        String text = value instanceof Instant instant ? time(instant) : value.toString();
        // A cell is one line: a name with a line break must not forge a record.
        text = text.replaceAll("\\s", " ");
        return text.isEmpty() ? NONE : text;
    }
}
