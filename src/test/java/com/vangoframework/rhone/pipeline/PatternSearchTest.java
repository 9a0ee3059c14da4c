package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatternSearchTest {

    @Test
    void cover_isTheUnionOfEveryOccurrenceOfEveryPattern_asANaiveSearchFindsIt() {
        Random random = new Random(13);
        for (int round = 0; round < 2_000; round++) {
            // A three-letter alphabet makes patterns that share prefixes, suffixes and overlaps.
            List<String> patterns = new ArrayList<>();
            for (int p = random.nextInt(6) + 1; p > 0; p--) {
                patterns.add(word(random, random.nextInt(5) + 1));
            }
            String text = word(random, random.nextInt(40));
            assertThat(new PatternSearch(patterns).cover(text)).as("%s in %s", patterns, text)
                    .isEqualTo(naiveCover(patterns, text));
        }
    }

    @Test
    void charactersOutsideEveryPattern_andNonAscii_areHandled() {
        PatternSearch search = new PatternSearch(List.of("é€x", "x😀"));
        assertThat(search.cover("a é€x😀 b")).containsExactly(2, 7);
        assertThat(search.cover("nothing here")).isNull();
    }

    private static String word(Random random, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append((char) ('a' + random.nextInt(3)));
        }
        return s.toString();
    }

    /** Every occurrence as an interval, sorted by start, overlapping ones merged (touching ones not). */
    private static int[] naiveCover(List<String> patterns, String text) {
        List<int[]> found = new ArrayList<>();
        for (String p : patterns) {
            for (int at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) {
                found.add(new int[] {at, at + p.length()});
            }
        }
        found.sort(java.util.Comparator.comparingInt(a -> a[0]));
        List<Integer> spans = new ArrayList<>();
        for (int[] f : found) {
            int last = spans.size() - 1;
            if (last > 0 && f[0] < spans.get(last)) {
                spans.set(last, Math.max(spans.get(last), f[1]));
            } else {
                spans.add(f[0]);
                spans.add(f[1]);
            }
        }
        return spans.isEmpty() ? null : spans.stream().mapToInt(Integer::intValue).toArray();
    }
}
