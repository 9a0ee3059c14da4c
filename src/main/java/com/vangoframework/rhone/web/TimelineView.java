package com.vangoframework.rhone.web;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The deployment page's timeline, ready to print: one row per phase and per step on a shared time
 * axis, as percentages of it (SVG attributes: the pages' policy allows no {@code style="…"}), the
 * ticks of the axis, the summary line, the three slowest steps marked. The axis starts at the
 * claim (the clone's start), not at the request: a long wait in the queue (a fork's pull request
 * approved two days later) would squeeze every step to nothing, so the wait is a figure in the
 * summary ({@code queued 2 d 3 h}) instead of a bar. Linear in the number of
 * steps (one sort of indexes for the slowest), so 500 steps cost next to nothing. The page's
 * script ({@code assets/deployment.js}) redoes the same arithmetic as steps arrive live.
 */
public record TimelineView(int attempt, long lastChange, long axisStart, long axisEnd, List<Row> phases,
                           List<Row> steps, List<Tick> ticks, String summary, Row failed, Long queuedMs) {

    private static final String QUEUED = "queued";
    /** How many of the slowest steps are emphasised. */
    static final int SLOWEST = 3;
    private static final long MIN_SPAN_MS = 1000;
    private static final long[] TICK_STEPS_MS = {100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000,
        120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000};

    /**
     * One bar. {@code classes}: {@code phase} or {@code step}, then the status ({@code running},
     * {@code done}, {@code cached}, {@code error}, {@code canceled}), {@code internal}, {@code slow}. {@code start}/{@code end}: epoch milliseconds ({@code end} 0
     * while it runs); {@code x}/{@code width}: percentages of the axis.
     */
    public record Row(String key, int vertex, String name, String stage, String status, String classes, long start,
                      long end, String x, String width, String duration, Long durationMs, boolean cached,
                      boolean internal, Integer exitCode, String error, String lastLines, long lineCount,
                      long changeSeq) {
    }

    /** A mark on the axis: where (percent) and what it says ("10 s"). */
    public record Tick(String x, String label) {
    }

    public boolean isEmpty() {
        return phases.isEmpty() && steps.isEmpty();
    }

    public static TimelineView of(Timeline t, Instant now) {
        long nowMs = now.toEpochMilli();
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        Long queuedMs = null;
        for (Timeline.Phase p : t.phases()) {
            if (QUEUED.equals(p.phase())) {
                queuedMs = p.durationMs();
                continue;
            }
            start = Math.min(start, p.startedAt().toEpochMilli());
            end = Math.max(end, p.endedAt() == null ? nowMs : p.endedAt().toEpochMilli());
        }
        for (Timeline.Step s : t.steps()) {
            start = Math.min(start, s.startedAt().toEpochMilli());
            end = Math.max(end, s.endedAt() == null ? nowMs : s.endedAt().toEpochMilli());
        }
        if (start == Long.MAX_VALUE) {
            return new TimelineView(t.attempt(), t.lastChange(), 0, 0, List.of(), List.of(), List.of(),
                    summary(t.summary(), queuedMs), null, queuedMs);
        }
        end = Math.max(end, start + MIN_SPAN_MS);
        Axis axis = new Axis(start, end);

        List<Row> phases = new ArrayList<>(t.phases().size());
        for (Timeline.Phase p : t.phases()) {
            if (QUEUED.equals(p.phase())) {
                continue;
            }
            String status = p.endedAt() == null ? "running" : "done";
            phases.add(axis.row("phase-" + p.phase(), 0, p.phase(), "", status, "phase " + status, p.startedAt(),
                    p.endedAt(), p.durationMs(), false, false, null, null, "", 0, 0));
        }
        boolean[] slow = slowest(t.steps());
        List<Row> steps = new ArrayList<>(t.steps().size());
        Row failed = null;
        for (int i = 0; i < t.steps().size(); i++) {
            Timeline.Step s = t.steps().get(i);
            StringBuilder classes = new StringBuilder("step ").append(s.status()); // "cached" among them
            if (s.internal()) {
                classes.append(" internal");
            }
            if (slow[i]) {
                classes.append(" slow");
            }
            Row row = axis.row("step-" + s.vertex(), s.vertex(), s.name(), s.stage(), s.status(), classes.toString(),
                    s.startedAt(), s.endedAt(), s.durationMs(), s.cached(), s.internal(), s.exitCode(), s.error(),
                    String.join("\n", s.lastLines()), s.lineCount(), s.changeSeq());
            steps.add(row);
            if (failed == null && "error".equals(s.status())) {
                failed = row;
            }
        }
        return new TimelineView(t.attempt(), t.lastChange(), start, end, phases, steps, axis.ticks(),
                summary(t.summary(), queuedMs), failed, queuedMs);
    }

    /** "12 of 15 steps cached · build 41.2 s · push 3.1 s · queued 2 d 3 h" (the parts that are known). */
    static String summary(Timeline.Summary s, Long queuedMs) {
        List<String> parts = new ArrayList<>(3);
        if (s.steps() > 0) {
            parts.add(s.cachedSteps() + " of " + s.steps() + (s.steps() == 1 ? " step" : " steps") + " cached");
        }
        if (s.buildDurationMs() != null) {
            parts.add("build " + Formats.duration(s.buildDurationMs()));
        }
        if (s.pushDurationMs() != null) {
            parts.add("push " + Formats.duration(s.pushDurationMs()));
        }
        if (queuedMs != null) {
            parts.add("queued " + waited(queuedMs));
        }
        return String.join(" · ", parts);
    }

    /** A wait: "0.4 s", "3 min 12 s", "5 h 20 min", "2 d 3 h". */
    static String waited(long ms) {
        long minutes = ms / 60_000;
        if (minutes < 60) {
            return Formats.duration(ms);
        }
        long hours = minutes / 60;
        return hours < 24 ? hours + " h " + minutes % 60 + " min" : hours / 24 + " d " + hours % 24 + " h";
    }

    /** The {@link #SLOWEST} longest finished steps that ran (not cached, not BuildKit's own). */
    private static boolean[] slowest(List<Timeline.Step> steps) {
        boolean[] slow = new boolean[steps.size()];
        int[] top = new int[SLOWEST];
        int found = 0;
        for (int i = 0; i < steps.size(); i++) {
            Timeline.Step s = steps.get(i);
            if (s.cached() || s.internal() || s.durationMs() == null || s.durationMs() <= 0) {
                continue;
            }
            // Insert into the small sorted top list: linear in the number of steps.
            int at = found < SLOWEST ? found++ : SLOWEST;
            while (at > 0 && steps.get(top[at - 1]).durationMs() < s.durationMs()) {
                if (at < SLOWEST) {
                    top[at] = top[at - 1];
                }
                at--;
            }
            if (at < SLOWEST) {
                top[at] = i;
            }
        }
        for (int k = 0; k < found; k++) {
            slow[top[k]] = true;
        }
        return slow;
    }

    private record Axis(long start, long end) {

        Row row(String key, int vertex, String name, String stage, String status, String classes, Instant from,
                Instant to, Long durationMs, boolean cached, boolean internal, Integer exitCode, String error,
                String lastLines, long lineCount, long changeSeq) {
            long a = from.toEpochMilli();
            long b = to == null ? end : Math.max(a, to.toEpochMilli());
            double span = end - start;
            double x = (a - start) * 100 / span;
            double w = Math.max(0.2, (b - a) * 100 / span);
            // A cached step took no time worth a figure: its "cached" mark says it all.
            String duration = durationMs != null && !cached ? Formats.duration(durationMs) : "";
            return new Row(key, vertex, name, stage, status, classes, a, to == null ? 0 : b, percent(x),
                    percent(Math.min(w, 100 - x)), duration, durationMs, cached, internal, exitCode, error,
                    lastLines, lineCount, changeSeq);
        }

        List<Tick> ticks() {
            long span = end - start;
            long step = TICK_STEPS_MS[TICK_STEPS_MS.length - 1];
            for (long candidate : TICK_STEPS_MS) {
                if (span / candidate <= 8) {
                    step = candidate;
                    break;
                }
            }
            List<Tick> ticks = new ArrayList<>();
            for (long at = 0; at <= span; at += step) {
                ticks.add(new Tick(percent(at * 100.0 / span), label(at)));
            }
            return ticks;
        }

        private static String label(long ms) {
            if (ms == 0) {
                return "0";
            }
            if (ms < 1000) {
                return ms + " ms";
            }
            long s = ms / 1000;
            if (s >= 3600) { // a long build's ticks in hours
                long min = s / 60 % 60;
                return min == 0 ? s / 3600 + " h" : s / 3600 + " h " + min + " min";
            }
            return s < 60 ? s + " s" : s % 60 == 0 ? s / 60 + " min" : s / 60 + " min " + s % 60 + " s";
        }
    }

    /** "12.34%": two decimals, without String.format (500 rows, twice each). */
    static String percent(double value) {
        long hundredths = Math.round(Math.max(0, Math.min(100, value)) * 100);
        long whole = hundredths / 100;
        long frac = hundredths % 100;
        return whole + "." + (frac < 10 ? "0" : "") + frac + "%";
    }

}
