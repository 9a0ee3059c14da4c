package com.vangoframework.rhone.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fuzz run at benchmark size ({@code ops/bench/fuzz}): many more cases than CI's, a new seed
 * each time unless {@code -Dseed} names one, and a Markdown table of outcomes per edge and status
 * for docs/fuzzing.md. Exit status 1 when any case broke a rule.
 */
public final class FuzzBench {

    private FuzzBench() {
    }

    public static void main(String[] args) throws Exception {
        long seed = Long.getLong("seed", System.nanoTime());
        int cases = Integer.getInteger("cases", 20_000);
        Path dir = Files.createTempDirectory("rhone-fuzz");
        int broken;
        try (FuzzRun run = new FuzzRun(seed, dir)) {
            long started = System.nanoTime();
            for (int n = 0; n < cases; n++) {
                run.run(n);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("seed %d: %,d cases in %.1f s (%.0f cases/s; sending %.1f s, judging %.1f s, "
                            + "waiting for accepted requests' follow-ups %.1f s)%n", seed, cases, seconds,
                    cases / seconds, run.phases[0] / 1e9, run.phases[1] / 1e9, run.phases[2] / 1e9);
            table(run.outcomes());
            System.out.println("slowest answers: ");
            run.slowest().forEach(t -> System.out.println("  " + t.millis() + " ms  case " + t.number() + "  "
                    + t.summary()));
            broken = run.violations().size();
            System.out.println(broken + " cases broke a rule" + (broken == 0 ? "" : ":"));
            run.violations().stream().limit(30).forEach(System.out::println);
        }
        System.exit(broken == 0 ? 0 : 1);
    }

    private static void table(Map<String, Integer> outcomes) {
        Map<String, Map<String, Integer>> bySurface = new TreeMap<>();
        outcomes.forEach((key, count) -> {
            String[] parts = key.split(" ", 2);
            bySurface.computeIfAbsent(parts[0], k -> new TreeMap<>()).put(parts[1], count);
        });
        System.out.println("| edge | cases | answers (status: count) |");
        System.out.println("|---|---:|---|");
        bySurface.forEach((surface, statuses) -> {
            int total = statuses.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder row = new StringBuilder();
            statuses.forEach((status, count) -> row.append(row.isEmpty() ? "" : ", ").append(status).append(": ")
                    .append(count));
            System.out.println("| " + surface + " | " + total + " | " + row + " |");
        });
    }
}
