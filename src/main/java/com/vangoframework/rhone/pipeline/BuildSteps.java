package com.vangoframework.rhone.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of one build, gathered from BuildKit's progress as its lines arrive. The process
 * reader thread feeds it ({@link #acceptPlain}); any thread may take a {@link #snapshot()} or a
 * {@link #summary()}. A parser problem never reaches the build: a line it cannot read is counted
 * and skipped, and an exception from the parser itself is logged once and switches it off for the
 * rest of the build.
 *
 * <p>Memory stays bounded whatever the build prints: each step keeps its last {@code keep} output
 * lines (each cut to {@value #MAX_TEXT} characters) and a count, and at most {@value #MAX_STEPS}
 * steps are tracked. The event methods ({@code text}, {@code output}, {@code done}, ...) are what
 * a reader of another progress format (buildctl's {@code --progress=rawjson}) would call too.
 */
public final class BuildSteps {

    /** How many output lines each step keeps by default. */
    public static final int KEEP = 10;
    static final int MAX_STEPS = 1_000;
    static final int MAX_TEXT = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(BuildSteps.class);

    private final int keep;
    private final LineReader reader;
    private final TreeMap<Integer, StepState> vertices = new TreeMap<>();
    private StepState last;
    private int firstError;
    private long ignored;
    private long changes;
    private long snapshotChanges = -1;
    private List<BuildStep> snapshot = List.of();
    private volatile boolean disabled;
    /** BuildKit runs of this build so far, less one: buildctl runs again after a registry error. */
    private int run;

    public BuildSteps() {
        this(KEEP);
    }

    public BuildSteps(int keep) {
        this(keep, PlainProgressParser::feed);
    }

    BuildSteps(int keep, LineReader reader) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1, was " + keep);
        }
        this.keep = keep;
        this.reader = reader;
    }

    /** Turns one line of a progress format into events on the steps; false when the line is not progress. */
    interface LineReader {
        boolean feed(String line, Instant at, BuildSteps steps);
    }

    /**
     * Reads one line of {@code --progress=plain} output as the process printed it ({@code #6 [2/2]
     * RUN make}), which arrived at {@code at}. Never throws.
     */
    public void acceptPlain(String line, Instant at) {
        if (disabled || line == null || at == null) {
            return;
        }
        synchronized (this) {
            try {
                if (!reader.feed(line, at, this)) {
                    ignored++;
                }
            } catch (RuntimeException e) {
                // A bug here must cost the timeline, never the build.
                disabled = true;
                ignored++;
                LOG.warn("build step parser failed and is off for the rest of this build", e);
            }
        }
    }

    /**
     * BuildKit runs the build again (buildctl, after a registry error): its steps are numbered from
     * #1 again, so what the last run showed is dropped and the new run's steps start afresh. The
     * last run's error is not this one's: a retried push that succeeds leaves no failed step.
     */
    public synchronized void newRun() {
        vertices.clear();
        last = null;
        firstError = 0;
        run++;
        changes++;
    }

    /** How many times {@link #newRun()} was called: a reader that sees it change drops what it copied. */
    public synchronized int run() {
        return run;
    }

    /** The steps so far in vertex order; the same list until another line changes them. */
    public synchronized List<BuildStep> snapshot() {
        if (snapshotChanges != changes) {
            List<BuildStep> steps = new ArrayList<>(vertices.size());
            for (StepState v : vertices.values()) {
                steps.add(v.toStep());
            }
            snapshot = List.copyOf(steps);
            snapshotChanges = changes;
        }
        return snapshot;
    }

    public synchronized Summary summary() {
        int cached = 0;
        int running = 0;
        for (StepState v : vertices.values()) {
            cached += v.status == StepStatus.CACHED ? 1 : 0;
            running += v.status == StepStatus.RUNNING ? 1 : 0;
        }
        BuildStep failed = firstError == 0 ? null : vertices.get(firstError).toStep();
        return new Summary(vertices.size(), cached, running, failed, ignored, disabled);
    }

    // ---- events, called with the lock held ----

    /** A line of text for a step: its header the first time, a repeated header, or a status line. */
    void text(int n, String text, Instant at) {
        StepState v = vertex(n, at);
        if (v == null) {
            return;
        }
        if (v.name.isEmpty()) {
            v.name(cut(text));
            changes++;
        } else if (!v.name.equals(text)) { // a repeated header is the same step, continued
            output(v, Double.NaN, text);
        }
    }

    /** An output line; {@code offsetSeconds} is NaN for a status line without BuildKit's timing prefix. */
    void output(int n, double offsetSeconds, String text, Instant at) {
        StepState v = vertex(n, at);
        if (v != null) {
            output(v, offsetSeconds, text);
        }
    }

    /** A step is still going and will print more later ({@code #2 ...}). */
    void touch(int n, Instant at) {
        vertex(n, at);
    }

    /** {@code DONE 1.3s}: {@code reported} is BuildKit's duration, null if it could not be read. */
    void done(int n, Instant at, Duration reported) {
        StepState v = vertex(n, at);
        if (v == null || v.status.finished()) { // a vertex BuildKit resolves twice keeps its first finish
            return;
        }
        v.status = StepStatus.DONE;
        v.end = at;
        if (reported != null) {
            // Plain progress prints a header when it gets round to it, so the arrival of the
            // first line can be late; BuildKit's own duration is the better clock.
            v.duration = reported;
            v.start = at.minus(reported);
        } else {
            v.duration = nonNegative(Duration.between(v.start, at));
        }
        changes++;
    }

    void cached(int n, Instant at) {
        finish(n, at, StepStatus.CACHED, null);
    }

    void canceled(int n, Instant at) {
        finish(n, at, StepStatus.CANCELED, "canceled");
    }

    void failed(int n, Instant at, String error) {
        StepState v = vertex(n, at);
        if (v == null) {
            return;
        }
        if (v.status != StepStatus.ERROR) {
            v.status = StepStatus.RUNNING; // an error after a finish still marks the step failed
            finish(n, at, StepStatus.ERROR, error);
        }
        if (firstError == 0) {
            firstError = n;
        }
    }

    private void finish(int n, Instant at, StepStatus status, String error) {
        StepState v = vertex(n, at);
        if (v == null || v.status.finished()) {
            return;
        }
        v.status = status;
        v.end = at;
        v.duration = nonNegative(Duration.between(v.start, at));
        if (error != null) {
            v.error = cut(error);
            v.exitCode = exitCode(error);
        }
        changes++;
    }

    private StepState vertex(int n, Instant at) {
        if (last != null && last.number == n) {
            return last;
        }
        StepState v = vertices.get(n);
        if (v == null) {
            if (vertices.size() >= MAX_STEPS) {
                return null;
            }
            v = new StepState(n, at, keep);
            vertices.put(n, v);
            changes++;
        }
        last = v;
        return v;
    }

    private void output(StepState v, double offsetSeconds, String text) {
        v.output(offsetSeconds, cut(text));
        changes++;
    }

    /** The code at the end of BuildKit's {@code ...: exit code: 2}, or null. */
    static Integer exitCode(String error) {
        int at = error.lastIndexOf("exit code: ");
        if (at < 0) {
            return null;
        }
        int i = at + "exit code: ".length();
        int end = i;
        while (end < error.length() && end - i < 9 && Character.isDigit(error.charAt(end))) {
            end++;
        }
        return end == i ? null : Integer.valueOf(error.substring(i, end));
    }

    private static String cut(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    /**
     * What a build's steps come to.
     *
     * @param failed the first step BuildKit reported an error for (not the ones it then canceled); null if none
     * @param ignoredLines lines that were not BuildKit progress (docker's own messages, cut lines)
     * @param disabled the parser met a bug of its own and stopped reading this build
     */
    public record Summary(int steps, int cached, int running, BuildStep failed, long ignoredLines,
                          boolean disabled) {

        public Optional<BuildStep> failedStep() {
            return Optional.ofNullable(failed);
        }

        /**
         * {@code step [2/2] RUN make failed with exit code 2}, when a step failed. A long step name
         * (a RUN line can be kilobytes) is cut at {@value #SENTENCE_NAME} characters, and BuildKit's
         * error text at {@value #SENTENCE_ERROR}, each with an ellipsis: the sentence is a headline.
         */
        public Optional<String> failureSentence() {
            return failedStep().map(s -> {
                String name = s.name().isEmpty() ? "#" + s.vertex() : ellipsis(s.name(), SENTENCE_NAME);
                return s.exitCode() != null
                        ? "step " + name + " failed with exit code " + s.exitCode()
                        : "step " + name + " failed: " + ellipsis(String.valueOf(s.error()), SENTENCE_ERROR);
            });
        }

        static final int SENTENCE_NAME = 200;
        static final int SENTENCE_ERROR = 300;

        private static String ellipsis(String text, int max) {
            if (text.length() <= max) {
                return text;
            }
            int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
            return text.substring(0, end) + "…";
        }
    }
}
