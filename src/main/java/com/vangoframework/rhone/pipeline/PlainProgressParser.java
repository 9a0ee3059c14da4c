package com.vangoframework.rhone.pipeline;

import java.time.Duration;
import java.time.Instant;

/**
 * Reads one line of BuildKit's {@code --progress=plain} output into {@link BuildSteps} events.
 * Every BuildKit line starts with {@code #N } (the vertex number); what follows is one of:
 * <pre>
 * #6 [2/2] RUN make                   the step's header (printed again when the step goes on later)
 * #6 sha256:9f86d0...                 the vertex digest (docker 20.10's BuildKit prints it)
 * #6 0.062 FOO=injected               output, seconds since the step started, then the text
 * #6 transferring context: 2B done    a status line of BuildKit's own
 * #6 ...                              the step goes on later
 * #6 DONE 1.3s / CACHED / CANCELED / ERROR: process "/bin/sh -c make" did not complete ...
 * </pre>
 * Anything else (docker's own messages, the error block at the end, a line cut short) is not
 * BuildKit progress: {@link #feed} says so and nothing changes. {@code #0} is buildx's banner
 * ({@code #0 building with "default" instance}), not a step.
 */
final class PlainProgressParser {

    private static final int DIGEST_LENGTH = "sha256:".length() + 64;

    private PlainProgressParser() {
    }

    /** Feeds one line; false when it is not a BuildKit progress line. */
    static boolean feed(String line, Instant at, BuildSteps steps) {
        int len = line.length();
        if (len < 3 || line.charAt(0) != '#') {
            return false;
        }
        int i = 1;
        int n = 0;
        while (i < len && i <= 9 && isDigit(line.charAt(i))) {
            n = n * 10 + (line.charAt(i) - '0');
            i++;
        }
        if (i == 1 || n == 0 || i >= len - 1 || line.charAt(i) != ' ') {
            return false;
        }
        int from = i + 1;
        char first = line.charAt(from);
        if (isDigit(first)) {
            int textAt = timingPrefixEnd(line, from);
            if (textAt > 0) {
                steps.output(n, seconds(line, from, textAt), textAt >= len ? "" : line.substring(textAt + 1), at);
                return true;
            }
        }
        String rest = line.substring(from);
        switch (first) {
            case 'D' -> {
                if (rest.startsWith("DONE ")) {
                    steps.done(n, at, duration(rest));
                    return true;
                }
            }
            case 'C' -> {
                if (rest.equals("CACHED")) {
                    steps.cached(n, at);
                    return true;
                }
                if (rest.equals("CANCELED")) {
                    steps.canceled(n, at);
                    return true;
                }
            }
            case 'E' -> {
                if (rest.equals("ERROR") || rest.startsWith("ERROR: ")) {
                    steps.failed(n, at, rest.length() > 7 ? rest.substring(7) : "error");
                    return true;
                }
            }
            case '.' -> {
                if (rest.equals("...")) {
                    steps.touch(n, at);
                    return true;
                }
            }
            case 's' -> {
                if (rest.length() == DIGEST_LENGTH && rest.startsWith("sha256:") && rest.indexOf(' ') < 0) {
                    steps.touch(n, at);
                    return true;
                }
            }
            default -> {
            }
        }
        steps.text(n, rest, at);
        return true;
    }

    /**
     * Where the timing prefix of {@code 0.062 FOO=injected} ends (the index of the space, or the
     * line's end), or -1 when the text at {@code from} is not one.
     */
    private static int timingPrefixEnd(String line, int from) {
        int len = line.length();
        int i = from;
        while (i < len && i - from < 9 && isDigit(line.charAt(i))) {
            i++;
        }
        if (i == from || i >= len || line.charAt(i) != '.') {
            return -1;
        }
        int fraction = ++i;
        while (i < len && i - fraction < 9 && isDigit(line.charAt(i))) {
            i++;
        }
        if (i == fraction || (i < len && line.charAt(i) != ' ')) {
            return -1;
        }
        return i;
    }

    private static double seconds(String line, int from, int to) {
        long whole = 0;
        int i = from;
        for (; line.charAt(i) != '.'; i++) {
            whole = whole * 10 + (line.charAt(i) - '0');
        }
        long fraction = 0;
        long scale = 1;
        for (i++; i < to; i++) {
            fraction = fraction * 10 + (line.charAt(i) - '0');
            scale *= 10;
        }
        return whole + (double) fraction / scale;
    }

    /** BuildKit's {@code DONE 1.3s}; null when the figure cannot be read (a line cut short). */
    private static Duration duration(String done) {
        if (!done.endsWith("s") || done.length() < 7) {
            return null;
        }
        String figure = done.substring(5, done.length() - 1);
        int end = timingPrefixEnd(figure, 0);
        if (end != figure.length()) {
            return null;
        }
        return Duration.ofNanos(Math.round(seconds(figure, 0, end) * 1e9));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
