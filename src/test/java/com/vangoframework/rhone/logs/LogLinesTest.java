package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogLinesTest {

    private static final List<LogChunkDao.Stored> CHUNKS = List.of(
            new LogChunkDao.Stored(0, 3, "a\nb\nc"),
            new LogChunkDao.Stored(3, 2, "d\n"));

    @Test
    void between_takesTheNumberedLinesAcrossChunks_emptyLinesIncluded() {
        assertThat(LogLines.between(CHUNKS, 0, 5)).containsExactly("a", "b", "c", "d", "");
        assertThat(LogLines.between(CHUNKS, 2, 4)).containsExactly("c", "d");
        assertThat(LogLines.between(CHUNKS, 5, 9)).isEmpty();
    }

    @Test
    void forEach_visitsRangesOfTheChunkText_fromTheCursorOn() {
        List<String> seen = new ArrayList<>();
        LogLines.forEach(CHUNKS.get(0), 1, CHUNKS.get(0).end(),
                (text, start, end) -> seen.add(start + ":" + text.substring(start, end)));
        assertThat(seen).containsExactly("2:b", "4:c");
    }

    @Test
    void tail_keepsTheNewestText_cutAtALineStart() {
        List<String> newestFirst = List.of("line three\nline four", "line one\nline two");
        assertThat(LogLines.tail(newestFirst, 1000)).isEqualTo("line one\nline two\nline three\nline four\n");
        assertThat(LogLines.tail(newestFirst, 15)).isEqualTo("line four\n");
    }
}
