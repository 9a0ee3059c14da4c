package com.vangoframework.rhone.pipeline;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines as {@link java.io.BufferedReader#readLine} does ({@code \n}, {@code \r} or
 * {@code \r\n} ends one; the last may have no end), but keeps at most {@code maxChars} of each:
 * the rest of a longer line is read and thrown away up to its end, and the line comes out with a
 * marker. A program that prints a gigabyte without a newline costs one bounded buffer, not a
 * gigabyte-long string.
 */
final class BoundedLineReader {

    private final Reader in;
    private final int maxChars;
    private final char[] buf = new char[8192];
    private int pos;
    private int len;
    private boolean afterCr;
    private final StringBuilder line = new StringBuilder();

    BoundedLineReader(Reader in, int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be positive");
        }
        this.in = in;
        this.maxChars = maxChars;
    }

    /** What a cut line ends with. */
    static String marker(int maxChars) {
        return " [output line cut at " + maxChars + " characters]";
    }

    /** The next line without its end, or null at the end of the input. */
    String next() throws IOException {
        line.setLength(0);
        boolean cut = false;
        boolean any = false;
        while (true) {
            if (pos == len) {
                len = in.read(buf, 0, buf.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    return any ? finish(cut) : null;
                }
            }
            if (afterCr) { // the \n of a \r\n belongs to the line the \r ended
                afterCr = false;
                if (buf[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            any = true;
            int start = pos;
            while (pos < len && buf[pos] != '\n' && buf[pos] != '\r') {
                pos++;
            }
            int room = maxChars - line.length();
            int take = Math.min(room, pos - start);
            line.append(buf, start, take);
            cut |= take < pos - start;
            if (pos < len) {
                afterCr = buf[pos] == '\r';
                pos++;
                return finish(cut);
            }
        }
    }

    private String finish(boolean cut) {
        if (!cut) {
            return line.toString();
        }
        // Never end on half of a surrogate pair: the cut would leave a character no encoder takes.
        if (Character.isHighSurrogate(line.charAt(line.length() - 1))) {
            line.setLength(line.length() - 1);
        }
        return line.append(marker(maxChars)).toString();
    }
}
