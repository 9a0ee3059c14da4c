package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogCursorTest {

    @Test
    void aPlainNumberIsLinesOnly_andLinesDotChangeCarriesBoth() {
        assertThat(LogCursor.parse("120")).contains(new LogCursor(120, 0));
        assertThat(LogCursor.parse(" 120.57 ")).contains(new LogCursor(120, 57));
        assertThat(new LogCursor(120, 0).id()).isEqualTo("120");
        assertThat(new LogCursor(120, 57).id()).isEqualTo("120.57");
    }

    @Test
    void aMalformedStepPartCountsAsNone_andAnythingElseIsNoCursor() {
        assertThat(LogCursor.parse("120.x")).contains(new LogCursor(120, 0));
        assertThat(LogCursor.parse("120.")).contains(new LogCursor(120, 0));
        assertThat(LogCursor.parse("abc")).isEmpty();
        assertThat(LogCursor.parse(".5")).isEmpty();
        assertThat(LogCursor.parse("-3")).isEmpty();
        assertThat(LogCursor.parse("9".repeat(30))).isEmpty();
        assertThat(LogCursor.parse("")).isEmpty();
        assertThat(LogCursor.parse(null)).isEmpty();
    }
}
