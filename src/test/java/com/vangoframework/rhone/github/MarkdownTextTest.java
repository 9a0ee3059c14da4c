package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class MarkdownTextTest {

    private static final String ZWJ = "\u200D";

    static Stream<Arguments> hostileText() {
        return Stream.of(
                Arguments.of("a table row of its own", "| a | b |", "\\| a \\| b \\|"),
                Arguments.of("a mention", "@octocat please", "@" + ZWJ + "octocat please"),
                Arguments.of("a team mention", "cc @acme/ops", "cc @" + ZWJ + "acme/ops"),
                Arguments.of("HTML", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
                Arguments.of("an entity", "&lt;b&gt;", "&amp;lt;b&amp;gt;"),
                Arguments.of("a javascript link", "[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
                Arguments.of("an image", "![t](https://evil.example/p.png)", "!\\[t\\](https://evil.example/p.png)"),
                Arguments.of("a code span", "RUN `id`", "RUN \\`id\\`"),
                Arguments.of("a backtick run", "``````", "\\`\\`\\`\\`\\`\\`"),
                Arguments.of("backslashes", "C:\\tmp\\|x", "C:\\\\tmp\\\\\\|x"),
                Arguments.of("emphasis", "**b** _i_ ~~s~~", "\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~"),
                Arguments.of("a heading", "# Approved", "\\# Approved"),
                Arguments.of("math", "$x^2$", "\\$x^2\\$"),
                Arguments.of("a list item", "- [ ] done", "\\- \\[ \\] done"),
                Arguments.of("an ordered list", "1. first", "1\\. first"),
                Arguments.of("a heading underline", "===", "\\==="),
                Arguments.of("newlines", "one\ntwo\r\nthree", "one two  three"),
                Arguments.of("a new row", "x |\n| --- |", "x \\| \\| --- \\|"),
                Arguments.of("control characters", "a\u0000b\u001b[31mc\u0085d", "a b \\[31mc d"),
                Arguments.of("line separators", "a\u2028b\u2029c", "a b c"),
                Arguments.of("a bidirectional override", "abc\u202Egnp.exe", "abcgnp.exe"),
                Arguments.of("an unpaired surrogate", "a\uD800b", "a\uFFFDb"),
                Arguments.of("plain BuildKit", "[build 3/7] RUN npm ci", "\\[build 3/7\\] RUN npm ci"),
                Arguments.of("surrounding blanks", "  \t x  ", "x"),
                Arguments.of("nothing", null, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileText")
    void hostileText_isEscapedToLiteralText(String attack, String raw, String expected) {
        String escaped = MarkdownText.inline(raw, 1000);
        assertThat(escaped).isEqualTo(expected);
        assertThat(escaped).doesNotContain("\n", "\r", "<", ">");
        assertThat(unescapedPipes(escaped)).isZero();
        assertThat(escaped).doesNotContainPattern("@[A-Za-z0-9]");
    }

    @Test
    void a16KibName_isCutBeforeEscaping_soNoEscapeIsCutInTwo() {
        String pipes = MarkdownText.inline("|".repeat(16 * 1024), 100);
        assertThat(pipes).isEqualTo("\\|".repeat(100) + "…");
        assertThat(unescapedPipes(pipes)).isZero();

        assertThat(MarkdownText.inline("&".repeat(16 * 1024), 100)).isEqualTo("&amp;".repeat(100) + "…");
        assertThat(MarkdownText.inline("@".repeat(16 * 1024), 10)).isEqualTo(("@" + ZWJ).repeat(10) + "…");
        // An emoji is two chars: a cut between them would leave half a character.
        String emoji = MarkdownText.inline("a" + "😀".repeat(8 * 1024), 100);
        assertThat(emoji).isEqualTo("a" + "😀".repeat(49) + "…");
        assertThat(MarkdownText.inline("short", 5)).isEqualTo("short");
    }

    @Test
    void aCutSmallerThanOneCharacter_isRefused() {
        assertThatThrownBy(() -> MarkdownText.inline("x", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxChars must be at least 1, not 0");
    }

    static Stream<Arguments> backtickRuns() {
        return Stream.of(
                Arguments.of("no backticks", "make: *** [all] Error 2", "```"),
                Arguments.of("a fence of three", "before\n```\n[click](https://evil.example) @everyone\nafter", "````"),
                Arguments.of("a longer fence with an info string", "`````js\nx", "``````"),
                Arguments.of("a run inside a line", "echo ```` done", "`````"),
                Arguments.of("a fence after spaces", "   ```", "````"),
                Arguments.of("a tilde fence", "~~~\nx\n~~~", "```"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backtickRuns")
    void aCodeBlock_isFencedLongerThanAnyBacktickRunInIt(String what, String content, String fence) {
        String block = MarkdownText.codeBlock(content);
        assertThat(block).startsWith(fence + "\n" + content).endsWith("\n" + fence + "\n");
        String inner = block.substring(fence.length() + 1, block.length() - fence.length() - 1);
        assertThat(inner).isEqualTo(content + "\n");
        // A line closes a fence only with at least as many backticks as it opened with.
        assertThat(inner.lines()).noneMatch(l -> l.strip().startsWith(fence));
    }

    @Test
    void aLongLogTail_keepsItsEndWithinTheBudget_markedWhereItWasCut() {
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            log.append("line ").append(i).append(" ünïcödé\n");
        }
        String block = MarkdownText.codeBlockOfTail(log.toString(), 5_000);
        assertThat(block.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(5_000);
        assertThat(block).startsWith("```\n…\nline ").endsWith("line 9999 ünïcödé\n```\n");
        assertThat(MarkdownText.codeBlockOfTail("short\n", 5_000)).isEqualTo("```\nshort\n```\n");
    }

    @Test
    void aTailOfBacktickLines_staysFencedAndWithinTheBudget() {
        String log = "`".repeat(70_000) + "\nerror: `x` at main.c:42\n";
        String block = MarkdownText.codeBlockOfTail(log, 65_535);
        assertThat(block.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(65_535);
        String fence = block.substring(0, block.indexOf('\n'));
        String inner = block.substring(fence.length() + 1, block.length() - fence.length() - 1);
        assertThat(inner).endsWith("error: `x` at main.c:42\n").doesNotContain(fence);
        assertThat(block).endsWith("\n" + fence + "\n");
    }

    @Test
    void headWithin_cutsAtALineEndAndAddsTheMarker() {
        String text = "first line\nsecond line\nthird line\n";
        assertThat(MarkdownText.headWithin(text, 1_000, "[cut]")).isEqualTo(text);
        assertThat(MarkdownText.headWithin(text, 30, "[cut]")).isEqualTo("first line\nsecond line\n[cut]");
        assertThat(MarkdownText.headWithin("x".repeat(50), 20, "…")).isEqualTo("x".repeat(17) + "…");
    }

    @Test
    void utf8Length_countsAsGitHubDoes() {
        for (String s : new String[] {"", "abc", "é", "€", "😀", "mixed € 😀 é x"}) {
            assertThat(MarkdownText.utf8Length(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    /** Pipes that split a GFM table row: those without a backslash before them. */
    static int unescapedPipes(String markdown) {
        int n = 0;
        for (int i = 0; i < markdown.length(); i++) {
            int backslashes = 0;
            while (i - backslashes > 0 && markdown.charAt(i - backslashes - 1) == '\\') {
                backslashes++;
            }
            // "\\|" is an escaped backslash and then a pipe that splits the cell.
            if (markdown.charAt(i) == '|' && backslashes % 2 == 0) {
                n++;
            }
        }
        return n;
    }
}
