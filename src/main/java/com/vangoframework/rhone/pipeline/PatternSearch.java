package com.vangoframework.rhone.pipeline;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds many fixed strings in a text in one pass (Aho-Corasick over UTF-16 units): the time per
 * line does not grow with the number of patterns, which the masker needs, since every secret
 * brings a few dozen encoded forms and a build can print hundreds of thousands of lines.
 * Immutable once built; safe to share between threads.
 */
final class PatternSearch {

    private static final int ROOT = 0;

    /** Per state, its outgoing characters (sorted) and the states they lead to. */
    private final char[][] keys;
    private final int[][] targets;
    private final int[] fail;
    /** Per state, the length of the longest pattern that ends there, 0 for none. */
    private final int[] longest;
    /** The root's transitions for ASCII, where most of a log's characters are. */
    private final int[] rootAscii = new int[128];
    /** Characters that occur in some pattern: any other one sends the search back to the root. */
    private final BitSet alphabet = new BitSet();

    PatternSearch(Collection<String> patterns) {
        List<TreeMap<Character, Integer>> trie = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        trie.add(new TreeMap<>());
        ends.add(0);
        for (String pattern : patterns) {
            int state = ROOT;
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                alphabet.set(c);
                Integer next = trie.get(state).get(c);
                if (next == null) {
                    next = trie.size();
                    trie.add(new TreeMap<>());
                    ends.add(0);
                    trie.get(state).put(c, next);
                }
                state = next;
            }
            ends.set(state, Math.max(ends.get(state), pattern.length()));
        }
        int size = trie.size();
        keys = new char[size][];
        targets = new int[size][];
        longest = new int[size];
        fail = new int[size];
        for (int s = 0; s < size; s++) {
            Map<Character, Integer> edges = trie.get(s);
            keys[s] = new char[edges.size()];
            targets[s] = new int[edges.size()];
            int k = 0;
            for (Map.Entry<Character, Integer> e : edges.entrySet()) {
                keys[s][k] = e.getKey();
                targets[s][k++] = e.getValue();
            }
            longest[s] = ends.get(s);
        }
        Arrays.fill(rootAscii, -1);
        for (int k = 0; k < keys[ROOT].length && keys[ROOT][k] < 128; k++) {
            rootAscii[keys[ROOT][k]] = targets[ROOT][k];
        }
        linkFailures();
    }

    /** Breadth first, so a state's failure target, being shorter, is always linked before it. */
    private void linkFailures() {
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int child : targets[ROOT]) {
            fail[child] = ROOT;
            queue.add(child);
        }
        while (!queue.isEmpty()) {
            int s = queue.poll();
            for (int k = 0; k < keys[s].length; k++) {
                int child = targets[s][k];
                int f = fail[s];
                int next;
                while ((next = step(f, keys[s][k])) < 0 && f != ROOT) {
                    f = fail[f];
                }
                fail[child] = next < 0 ? ROOT : next;
                // A pattern that ends at the failure target also ends here: a suffix of this one.
                longest[child] = Math.max(longest[child], longest[fail[child]]);
                queue.add(child);
            }
        }
    }

    private int step(int state, char c) {
        if (state == ROOT && c < 128) {
            return rootAscii[c];
        }
        int k = Arrays.binarySearch(keys[state], c);
        return k < 0 ? -1 : targets[state][k];
    }

    boolean isEmpty() {
        return keys[ROOT].length == 0;
    }

    /**
     * The stretches of {@code text} that any pattern covers, overlaps merged, as start/end pairs
     * ({@code [s0, e0, s1, e1, ...]}, ends exclusive), in order; null when nothing matches.
     */
    int[] cover(String text) {
        int[] spans = null;
        int top = 0; // number of ints used in spans
        int state = ROOT;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!alphabet.get(c)) {
                state = ROOT;
                continue;
            }
            int next;
            while ((next = step(state, c)) < 0 && state != ROOT) {
                state = fail[state];
            }
            state = next < 0 ? ROOT : next;
            int length = longest[state];
            if (length == 0) {
                continue;
            }
            int start = i + 1 - length;
            if (spans == null) {
                spans = new int[8];
            }
            // Ends only grow, so a new stretch can only swallow the latest ones.
            while (top > 0 && start < spans[top - 1]) {
                start = Math.min(start, spans[top - 2]);
                top -= 2;
            }
            if (top + 2 > spans.length) {
                spans = Arrays.copyOf(spans, spans.length * 2);
            }
            spans[top++] = start;
            spans[top++] = i + 1;
        }
        return spans == null ? null : Arrays.copyOf(spans, top);
    }
}
