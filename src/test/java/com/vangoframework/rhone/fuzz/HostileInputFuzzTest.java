package com.vangoframework.rhone.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz run over the JSON API, the webhook and the dashboard's forms of a running service:
 * random JSON shapes and types, odd and huge bodies, wrong content types, unicode and control
 * characters, traversal and overlong slugs and ids, numbers past 64 bits, bad and good
 * credentials. Every answer must be below 500, in its edge's error shape, and a refused request
 * must write nothing (read off row triggers on every table). {@code -Drhone.fuzz.seed} and
 * {@code -Drhone.fuzz.cases} change the run; {@code ops/bench/fuzz} runs many more.
 */
class HostileInputFuzzTest {

    static final long SEED = Long.getLong("rhone.fuzz.seed", 20261202L);
    static final int CASES = Integer.getInteger("rhone.fuzz.cases", 2_000);

    @TempDir
    Path dir;

    @Test
    void hostileRequests_neverServerErrors_keepTheErrorShape_andWriteNothingWhenRefused() throws Exception {
        try (FuzzRun run = new FuzzRun(SEED, dir)) {
            String only = System.getProperty("rhone.fuzz.only", "");
            if (!only.isBlank()) { // bring back named cases: -Drhone.fuzz.only=130,174
                for (String n : only.split(",")) {
                    System.out.println(run.replay(Integer.parseInt(n.strip())));
                }
                return;
            }
            for (int n = 0; n < CASES; n++) {
                run.run(n);
            }
            System.out.println("Fuzz seed " + SEED + ", " + CASES + " cases: " + run.outcomes());
            assertThat(run.violations())
                    .as("seed %d: %d of %d cases broke a rule; the first ones:%n%s", SEED, run.violations().size(),
                            CASES, run.violations().stream().limit(15).map(String::valueOf)
                                    .collect(Collectors.joining("\n")))
                    .isEmpty();
            // The run reached past the front doors: requests were accepted and refused on every edge.
            assertThat(run.outcomes().keySet()).anyMatch(k -> k.startsWith("API 2"))
                    .anyMatch(k -> k.startsWith("WEBHOOK 2")).anyMatch(k -> k.startsWith("DASHBOARD 3"))
                    .anyMatch(k -> k.startsWith("API 4")).anyMatch(k -> k.startsWith("WEBHOOK 4"))
                    .anyMatch(k -> k.startsWith("DASHBOARD 4"));
        }
    }
}
