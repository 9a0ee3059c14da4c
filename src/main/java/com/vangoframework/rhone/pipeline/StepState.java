package com.vangoframework.rhone.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link BuildSteps} knows of one step while the build runs (guarded by its lock): the
 * fields a {@link BuildStep} copies, and the step's last output lines in a ring of fixed size.
 */
final class StepState {
    final int number;
    final String[] texts;
    final double[] offsets;
    int next;
    long lineCount;
    String name = "";
    String stage = "";
    int index;
    int total;
    boolean internal;
    Instant start;
    Instant end;
    Duration duration;
    StepStatus status = StepStatus.RUNNING;
    String error;
    Integer exitCode;

    StepState(int number, Instant start, int keep) {
        this.number = number;
        this.start = start;
        this.texts = new String[keep];
        this.offsets = new double[keep];
    }

    void output(double offsetSeconds, String text) {
        texts[next] = text;
        offsets[next] = offsetSeconds;
        next = (next + 1) % texts.length;
        lineCount++;
    }

    /** {@code [build 3/7] RUN npm ci}: stage build, 3 of 7; {@code [internal] ...}: BuildKit's own. */
    void name(String name) {
        this.name = name;
        int close = name.indexOf(']');
        if (!name.startsWith("[") || close < 0) {
            return;
        }
        String tag = name.substring(1, close).strip();
        if (tag.equals("internal") || tag.equals("auth")) {
            internal = true;
            return;
        }
        int space = tag.lastIndexOf(' ');
        String position = tag.substring(space + 1);
        int slash = position.indexOf('/');
        if (slash > 0 && digits(position, 0, slash) && digits(position, slash + 1, position.length())) {
            index = Integer.parseInt(position.substring(0, slash));
            total = Integer.parseInt(position.substring(slash + 1));
            stage = space < 0 ? "" : tag.substring(0, space).strip();
        } else {
            stage = tag;
        }
    }

    private static boolean digits(String s, int from, int to) {
        if (to <= from || to - from > 6) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    BuildStep toStep() {
        int kept = (int) Math.min(lineCount, texts.length);
        List<BuildStep.Line> lines = new ArrayList<>(kept);
        for (int i = 0; i < kept; i++) {
            int slot = Math.floorMod(next - kept + i, texts.length);
            double offset = offsets[slot];
            lines.add(new BuildStep.Line(
                    Double.isNaN(offset) ? null : Duration.ofNanos(Math.round(offset * 1e9)), texts[slot]));
        }
        return new BuildStep(number, name, stage, index, total, internal, start, end, duration, status,
                error, exitCode, lines, lineCount);
    }
}
