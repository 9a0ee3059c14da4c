package com.vangoframework.rhone.logs;

import java.util.ArrayList;
import java.util.List;

/**
 * The one place that cuts stored log text into lines. A chunk's content is its lines joined by
 * {@code '\n'}, without a trailing one (as {@link BuildLog} writes it), and a log is its chunks in
 * order; readers visit lines as ranges of that text, so a streamed line is never copied.
 */
public final class LogLines {

    /** Receives one line: {@code text} from {@code start} (inclusive) to {@code end} (exclusive). */
    @FunctionalInterface
    public interface Visitor<E extends Exception> {
        void line(String text, int start, int end) throws E;
    }

    private LogLines() {
    }

    /** Visits, in order, the chunk's lines numbered {@code from .. to - 1}. */
    public static <E extends Exception> void forEach(LogChunkDao.Stored chunk, long from, long to, Visitor<E> visitor)
            throws E {
        String content = chunk.content();
        int at = 0;
        for (long n = chunk.firstLine(); n < to; n++) {
            int nl = content.indexOf('\n', at);
            int end = nl < 0 ? content.length() : nl;
            if (n >= from) {
                visitor.line(content, at, end);
            }
            if (nl < 0) {
                return;
            }
            at = nl + 1;
        }
    }

    /** Lines {@code from .. to - 1} out of chunks that cover them. */
    public static List<String> between(List<LogChunkDao.Stored> chunks, long from, long to) {
        List<String> out = new ArrayList<>();
        for (LogChunkDao.Stored chunk : chunks) {
            forEach(chunk, from, to, (text, start, end) -> out.add(text.substring(start, end)));
        }
        return out;
    }

    /** About the last {@code maxChars} characters of the chunks' text, cut at a line start. */
    public static String tail(List<String> newestFirst, int maxChars) {
        StringBuilder text = new StringBuilder();
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            text.append(newestFirst.get(i)).append('\n');
        }
        return lastChars(text.toString(), maxChars);
    }

    /** The end of {@code text} within {@code maxChars}, starting at a line: no line is shown cut. */
    public static String lastChars(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        String cut = text.substring(text.length() - maxChars);
        int nl = cut.indexOf('\n');
        return nl < 0 ? cut : cut.substring(nl + 1);
    }
}
