package com.vangoframework.rhone.github;

import com.vangoframework.rhone.logs.StepDao.StoredPhase;
import com.vangoframework.rhone.logs.StepDao.StoredStep;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a build's time went, as Markdown for its Check Run's summary: Rhone's phases with their
 * durations, how many steps BuildKit took from its cache, the five slowest steps as a table, and
 * the failed step with its last output lines. Every step name and line is hostile text
 * ({@link MarkdownText}), and every part has a size of its own, so a build of 1,000 steps with
 * 16 KiB names still fits GitHub's limit.
 *
 * @param phases one attempt's phases ({@code queued, clone, analysis, build, push}), any order
 * @param steps the same attempt's steps, any order
 */
record CheckRunInsights(List<StoredPhase> phases, List<StoredStep> steps) {

    static final CheckRunInsights NONE = new CheckRunInsights(List.of(), List.of());

    static final int SLOWEST = 5;
    /** A step name in the table, in characters before escaping; BuildKit's own rarely pass 80. */
    static final int NAME_CHARS = 120;
    static final int FAILED_NAME_CHARS = 500;
    static final int ERROR_CHARS = 500;
    /** The failed step's last lines (at most 10, each as long as the build printed it). */
    static final int LAST_LINES_BYTES = 8_000;

    private static final List<String> PHASE_ORDER = List.of("queued", "clone", "analysis", "build", "push");

    CheckRunInsights {
        phases = phases == null ? List.of() : List.copyOf(phases);
        steps = steps == null ? List.of() : List.copyOf(steps);
    }

    /**
     * The step that failed (the first to end with an error; BuildKit cancels the ones beside it),
     * named, with its exit code or error and its last output lines in a code block.
     */
    Optional<String> failedStep() {
        return steps.stream().filter(s -> "error".equals(s.status()))
                .min(Comparator.comparing(StoredStep::endedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                        .thenComparingInt(StoredStep::vertex))
                .map(CheckRunInsights::failed);
    }

    private static String failed(StoredStep s) {
        StringBuilder out = new StringBuilder("**Failed step:** ").append(name(s, FAILED_NAME_CHARS));
        if (s.exitCode() != null) {
            out.append(" (exit code ").append(s.exitCode()).append(')');
        } else if (s.error() != null && !s.error().isBlank()) {
            out.append(": ").append(MarkdownText.inline(s.error(), ERROR_CHARS));
        }
        String lines = s.lastLines() == null ? "" : s.lastLines();
        if (lines.isEmpty()) {
            return out.append(s.lineCount() == 0 ? ", without output." : ".").toString();
        }
        long shown = lines.lines().count();
        out.append(shown < s.lineCount() ? ", its last " + shown + " of " + s.lineCount() + " output lines:"
                : ", its output:");
        return out.append("\n\n").append(MarkdownText.codeBlockOfTail(lines, LAST_LINES_BYTES)).toString();
    }

    /**
     * Phase durations, the share of cached steps and the slowest steps' table; empty when nothing
     * was recorded. {@code running}: a phase or step without an end is still going (else it never
     * ended: the build stopped during it).
     */
    String timings(boolean running) {
        List<String> parts = new ArrayList<>();
        phaseLine(running).ifPresent(parts::add);
        List<StoredStep> own = steps.stream().filter(s -> !s.internal()).toList();
        if (!own.isEmpty()) {
            long cached = own.stream().filter(s -> "cached".equals(s.status())).count();
            parts.add(cached + " of " + own.size() + (own.size() == 1 ? " step" : " steps") + " cached");
            parts.add(slowest(own, running));
        }
        return String.join("\n\n", parts);
    }

    private Optional<String> phaseLine(boolean running) {
        List<String> shown = new ArrayList<>();
        Instant first = null;
        Instant last = null;
        boolean allEnded = true;
        for (String name : PHASE_ORDER) {
            Optional<StoredPhase> p = phases.stream().filter(x -> name.equals(x.phase())).findFirst();
            if (p.isEmpty()) {
                continue;
            }
            StoredPhase phase = p.get();
            first = first == null || phase.startedAt().isBefore(first) ? phase.startedAt() : first;
            if (phase.endedAt() == null) {
                allEnded = false;
                shown.add(name + " " + (running ? "running" : "unfinished"));
            } else {
                last = last == null || phase.endedAt().isAfter(last) ? phase.endedAt() : last;
                shown.add(name + " "
                        + seconds(Duration.between(phase.startedAt(), phase.endedAt()).toMillis()));
            }
        }
        if (shown.isEmpty()) {
            return Optional.empty();
        }
        if (allEnded && last != null) {
            shown.add("total " + seconds(Duration.between(first, last).toMillis()));
        }
        return Optional.of("**Phases:** " + String.join(" · ", shown));
    }

    private static String slowest(List<StoredStep> own, boolean running) {
        StringBuilder table = new StringBuilder("| Step | Time | Cache |\n| --- | ---: | --- |\n");
        own.stream()
                .sorted(Comparator.comparing(CheckRunInsights::durationMs,
                                Comparator.nullsLast(Comparator.<Long>reverseOrder()))
                        .thenComparingInt(StoredStep::vertex))
                .limit(SLOWEST)
                .forEach(s -> {
                    Long ms = durationMs(s);
                    String time = ms != null ? seconds(ms) : running ? "running" : "unfinished";
                    table.append("| ").append(name(s, NAME_CHARS)).append(" | ").append(time).append(" | ")
                            .append(cache(s.status())).append(" |\n");
                });
        return table.toString();
    }

    private static Long durationMs(StoredStep s) {
        if (s.durationMs() != null) {
            return s.durationMs();
        }
        return s.endedAt() == null ? null : Duration.between(s.startedAt(), s.endedAt()).toMillis();
    }

    private static String name(StoredStep s, int maxChars) {
        return s.name() == null || s.name().isBlank() ? "\\#" + s.vertex() : MarkdownText.inline(s.name(), maxChars);
    }

    private static String cache(String status) {
        return switch (status) {
            case "cached" -> "hit";
            case "done" -> "miss";
            case "error" -> "failed";
            case "canceled" -> "canceled";
            default -> "running";
        };
    }

    /** {@code 41.2 s}, {@code 3 min 5 s}: the same in every locale. */
    static String seconds(long ms) {
        return ms < 60_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0)
                : (ms / 60_000) + " min " + (ms % 60_000) / 1000 + " s";
    }
}
