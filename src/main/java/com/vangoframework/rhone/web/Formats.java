package com.vangoframework.rhone.web;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How the pages write times, durations and sizes. The page script ({@code assets/rhone.js})
 * writes relative times and sizes the same way when it updates them.
 */
public final class Formats {

    private static final DateTimeFormatter EXACT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    private Formats() {
    }

    /** "2026-12-01 05:59:18 UTC", for the title of a relative time. */
    public static String exact(Instant t) {
        return t == null ? "" : EXACT.format(t);
    }

    /** "just now", "40 s ago", "3 min ago", "5 h ago", "2 days ago", then the date. */
    public static String ago(Instant t, Instant now) {
        if (t == null) {
            return "";
        }
        long s = Math.max(0, Duration.between(t, now).toSeconds());
        if (s < 10) {
            return "just now";
        }
        if (s < 60) {
            return s + " s ago";
        }
        if (s < 3600) {
            return s / 60 + " min ago";
        }
        if (s < 86_400) {
            return s / 3600 + " h ago";
        }
        if (s < 30 * 86_400) {
            long days = s / 86_400;
            return days == 1 ? "1 day ago" : days + " days ago";
        }
        return DAY.format(t);
    }

    /** "4.2 s", "1 min 3 s". */
    public static String duration(Long millis) {
        if (millis == null) {
            return "";
        }
        Duration d = Duration.ofMillis(millis);
        return d.toMinutes() > 0 ? d.toMinutes() + " min " + d.toSecondsPart() + " s"
                : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** Decimal units, as docker prints them: "812 B", "4.3 kB", "12.6 MB", "1.1 GB". */
    public static String bytes(Long bytes) {
        if (bytes == null) {
            return "";
        }
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
