package com.vangoframework.rhone.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One BuildKit step (a vertex) as the build has shown it so far: an immutable copy taken by
 * {@link BuildSteps#snapshot()}.
 *
 * @param vertex BuildKit's vertex number, the {@code N} of {@code #N}
 * @param name the name as BuildKit gives it ({@code [build 3/7] RUN npm ci}, {@code exporting to
 *     image}); empty if the step's header was never seen
 * @param stage the stage of {@code [build 3/7]}; empty for {@code [2/2]}, internal and unnamed steps
 * @param index the 3 of {@code [build 3/7]}, 0 when the name has none
 * @param total the 7 of {@code [build 3/7]}, 0 when the name has none
 * @param internal BuildKit's own work ({@code [internal] ...}, {@code [auth] ...})
 * @param start when the step started: its first line's arrival, or its end minus BuildKit's duration
 * @param end when it finished; null while it runs
 * @param duration BuildKit's own figure when it gave one ({@code DONE 1.3s}), else end minus start;
 *     null while it runs
 * @param error BuildKit's error text ({@code process "/bin/sh -c make" did not complete
 *     successfully: exit code: 2}); null unless the step failed or was canceled
 * @param exitCode the exit code named in the error; null when there is none
 * @param lastLines the step's last output lines (at most the parser's keep count)
 * @param lineCount how many output lines the step printed in all
 */
public record BuildStep(int vertex, String name, String stage, int index, int total, boolean internal,
                        Instant start, Instant end, Duration duration, StepStatus status, String error,
                        Integer exitCode, List<Line> lastLines, long lineCount) {

    public BuildStep {
        name = Objects.requireNonNullElse(name, "");
        stage = Objects.requireNonNullElse(stage, "");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(status, "status");
        lastLines = List.copyOf(lastLines);
    }

    public boolean cached() {
        return status == StepStatus.CACHED;
    }

    /**
     * One output line of a step.
     *
     * @param offset seconds since the step started, as BuildKit prints them ({@code #6 0.062 FOO=x});
     *     null for BuildKit's own status lines ({@code #6 transferring context: 2B done})
     * @param text the line without BuildKit's prefix
     */
    public record Line(Duration offset, String text) {
        public Line {
            text = Objects.requireNonNullElse(text, "");
        }
    }
}
