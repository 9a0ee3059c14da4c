package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.pipeline.BuildSteps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * How fast the build step parser reads BuildKit's plain progress (run by ops/bench/steps; prints
 * figures, asserts nothing about time). A synthetic stream of {@code lines} lines (default
 * 1,000,000) shaped like a real build's: 200 steps, each a header, a digest, a few status lines,
 * output lines with BuildKit's timing prefix (most of the stream), then DONE, CACHED or, for one,
 * ERROR; blank separators between steps. Each round feeds the whole stream to a fresh parser; the
 * first {@code warmup} rounds are not counted and the median of the rest is reported.
 */
public final class StepParserBench {

    public static void main(String[] args) {
        int lineCount = Integer.parseInt(System.getProperty("lines", "1000000"));
        int rounds = Integer.parseInt(System.getProperty("rounds", "9"));
        int warmup = Integer.parseInt(System.getProperty("warmup", "3"));
        List<String> lines = stream(new Random(15), lineCount);
        long chars = lines.stream().mapToLong(String::length).sum();
        Instant base = Instant.parse("2026-12-02T14:00:00Z");
        Instant[] clock = new Instant[lines.size() / 1000 + 1];
        for (int i = 0; i < clock.length; i++) {
            clock[i] = base.plusMillis(i);
        }
        System.out.printf("== parsing %,d progress lines (%,d characters) ==%n", lines.size(), chars);

        List<Double> perSecond = new ArrayList<>();
        int steps = 0;
        for (int r = 0; r < warmup + rounds; r++) {
            BuildSteps parser = new BuildSteps();
            long start = System.nanoTime();
            for (int i = 0; i < lines.size(); i++) {
                parser.acceptPlain(lines.get(i), clock[i / 1000]);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            steps = parser.snapshot().size();
            if (r >= warmup) {
                perSecond.add(lines.size() / seconds);
            }
        }
        Collections.sort(perSecond);
        System.out.printf("step parser: median %,.0f lines/s (min %,.0f, max %,.0f) over %d rounds after %d warm-up;"
                        + " %d steps; %.0f ns/line%n",
                perSecond.get(perSecond.size() / 2), perSecond.get(0), perSecond.get(perSecond.size() - 1), rounds,
                warmup, steps, 1e9 / perSecond.get(perSecond.size() / 2));
    }

    private static List<String> stream(Random random, int count) {
        int stepCount = 200;
        int perStep = Math.max(1, count / stepCount - 6);
        String[] output = {
            "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
            "added 1432 packages, and audited 1433 packages in 21s",
            "   Creating an optimized production build ...",
            "Route (app)                              Size     First Load JS",
            "├ ○ /_not-found                          871 B          87.3 kB",
            "Downloading https://registry.npmjs.org/react-dom/-/react-dom-18.3.1.tgz",
            "gcc -O2 -c src/parser.c -o build/parser.o",
            "",
        };
        List<String> lines = new ArrayList<>(count);
        for (int v = 1; v <= stepCount && lines.size() < count; v++) {
            String p = "#" + v + " ";
            lines.add(p + "[build " + v + "/" + stepCount + "] RUN make -j2 target-" + v);
            lines.add(p + "sha256:" + "0123456789abcdef".repeat(4));
            lines.add(p + "transferring context: 2B done");
            double t = 0;
            for (int i = 0; i < perStep && lines.size() < count - 3; i++) {
                t += random.nextInt(20) / 1000.0;
                lines.add(p + String.format("%.3f ", t) + output[random.nextInt(output.length)]);
            }
            lines.add(v == stepCount ? p + "ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2"
                    : v % 3 == 0 ? p + "CACHED" : p + String.format("DONE %.1fs", t));
            lines.add("");
        }
        while (lines.size() < count) {
            lines.add("#1 0.001 padding");
        }
        return lines;
    }
}
