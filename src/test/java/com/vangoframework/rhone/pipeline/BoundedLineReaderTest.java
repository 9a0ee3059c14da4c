package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedLineReaderTest {

    private static List<String> lines(Reader in, int max) throws IOException {
        BoundedLineReader reader = new BoundedLineReader(in, max);
        List<String> out = new ArrayList<>();
        for (String l = reader.next(); l != null; l = reader.next()) {
            out.add(l);
        }
        return out;
    }

    /** {@code count} characters of {@code c} and then {@code tail}, made as they are read: nothing holds them all. */
    private static Reader endless(char c, long count, String tail) {
        return new Reader() {
            private long left = count;
            private final StringReader rest = new StringReader(tail);

            @Override
            public int read(char[] buf, int off, int n) throws IOException {
                if (left == 0) {
                    return rest.read(buf, off, n);
                }
                int k = (int) Math.min(n, left);
                java.util.Arrays.fill(buf, off, off + k, c);
                left -= k;
                return k;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void linesEndAsReadLineEndsThem_lfCrAndCrLf_andTheLastNeedsNoEnd() throws IOException {
        assertThat(lines(new StringReader("one\ntwo\r\nthree\rfour\n\nlast"), 100))
                .containsExactly("one", "two", "three", "four", "", "last");
        assertThat(lines(new StringReader(""), 100)).isEmpty();
        assertThat(lines(new StringReader("a\r"), 100)).containsExactly("a");
        assertThat(lines(new StringReader("\r\n\r\n"), 100)).containsExactly("", "");
    }

    @Test
    void aCrLfSplitAcrossReads_isOneLineEnd() throws IOException {
        // A reader that hands out one character per read puts every \r and its \n in two reads.
        Reader trickle = new Reader() {
            private final StringReader in = new StringReader("a\r\nb\r\n");

            @Override
            public int read(char[] buf, int off, int n) throws IOException {
                return in.read(buf, off, Math.min(n, 1));
            }

            @Override
            public void close() {
            }
        };
        assertThat(lines(trickle, 100)).containsExactly("a", "b");
    }

    @Test
    void aHundredMillionCharactersWithoutANewline_keepTheBound_andTheNextLinesArrive() throws IOException {
        List<String> out = lines(endless('x', 100_000_000L, "\nafter\nand more"), 1000);
        assertThat(out).hasSize(3);
        assertThat(out.get(0)).isEqualTo("x".repeat(1000) + BoundedLineReader.marker(1000));
        assertThat(out.subList(1, 3)).containsExactly("after", "and more");
    }

    @Test
    void aLineOfExactlyTheBound_isNotCut_oneMoreIs() throws IOException {
        assertThat(lines(new StringReader("abcd\nabcde\n"), 4))
                .containsExactly("abcd", "abcd" + BoundedLineReader.marker(4));
    }

    @Test
    void aCutNeverEndsOnHalfASurrogatePair() throws IOException {
        // "a" then U+1F600 (two chars): a bound of 2 would keep "a" and the high surrogate alone.
        assertThat(lines(new StringReader("a\uD83D\uDE00b\n"), 2))
                .containsExactly("a" + BoundedLineReader.marker(2));
    }
}
