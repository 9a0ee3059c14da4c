package com.vangoframework.rhone.github;

/**
 * Hostile text (a step name a Dockerfile chose, a line a build printed) made safe for the
 * Markdown of a Check Run, and cut to GitHub's limits. GitHub renders a run's summary and text as
 * GitHub Flavored Markdown on the pull request: unescaped, a step name could end a table row,
 * hide a link behind innocent words, embed HTML or notify people with {@code @name}.
 *
 * <p>GitHub counts its 65,535 limit in UTF-8 bytes, not characters ("summary exceeds a maximum
 * bytesize of 65535", github/docs#35252), so the budgets here are bytes.
 */
final class MarkdownText {

    /** GitHub's limit for a Check Run's {@code output.summary} and {@code output.text}, in UTF-8 bytes. */
    static final int MAX_BYTES = 65_535;

    private static final char ZERO_WIDTH_JOINER = '\u200D';
    private static final String ELLIPSIS = "…";

    private MarkdownText() {
    }

    /**
     * {@code raw} as literal text on one line, in a paragraph or a table cell: at most
     * {@code maxChars} characters of it (cut before escaping, so an escape is never cut in two,
     * and marked with "…"). Markdown and HTML punctuation is escaped, a pipe cannot end a table
     * cell, {@code @name} cannot mention anyone, and newlines, control and bidirectional-override
     * characters cannot break the line or reorder what is shown.
     */
    static String inline(String raw, int maxChars) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be at least 1, not " + maxChars);
        }
        String s = oneLine(raw == null ? "" : raw).strip();
        boolean cut = false;
        if (s.length() > maxChars) {
            int end = Character.isHighSurrogate(s.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
            s = s.substring(0, end).stripTrailing();
            cut = true;
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        int digits = 0;
        while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
            digits++;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '\\', '`', '*', '_', '~', '[', ']', '|', '#', '$' -> out.append('\\').append(c);
                // At the start of a line these would begin a list or underline a heading.
                case '-', '+', '=' -> out.append(i == 0 ? "\\" : "").append(c);
                case '.', ')' -> out.append(i == digits && digits > 0 ? "\\" : "").append(c);
                case '@' -> out.append('@').append(ZERO_WIDTH_JOINER);
                default -> out.append(c);
            }
        }
        return cut ? out.append(ELLIPSIS).toString() : out.toString();
    }

    /**
     * Newlines and other control characters as spaces, bidirectional overrides dropped, unpaired
     * surrogates (which have no UTF-8 form) as U+FFFD.
     */
    private static String oneLine(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); ) {
            int cp = raw.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.charCount(cp) == 1 && Character.isSurrogate((char) cp)) {
                out.append('\uFFFD');
            } else if (isBreaking(cp)) {
                out.append(' ');
            } else if (!isBidiControl(cp)) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /**
     * {@code content} as a fenced code block, shown verbatim: its fence is longer than any run of
     * backticks in the content, so no line of it (not even one of backticks) can close the block
     * and turn the rest into Markdown.
     */
    static String codeBlock(String content) {
        String fence = "`".repeat(fenceLength(content));
        return fence + "\n" + content + (content.isEmpty() || content.endsWith("\n") ? "" : "\n") + fence + "\n";
    }

    /**
     * The end of {@code content} (whole lines where it can) as a code block of at most
     * {@code maxBytes} UTF-8 bytes, its first line "…" when the start was cut away.
     */
    static String codeBlockOfTail(String content, int maxBytes) {
        String block = codeBlock(content);
        int room = maxBytes;
        while (utf8Length(block) > maxBytes) {
            if (room <= 0) {
                return ""; // no room for even the fences
            }
            block = codeBlock(ELLIPSIS + "\n" + tailBytes(content, room));
            int over = utf8Length(block) - maxBytes;
            // Show less each round; a third when the fence is the trouble (a tail of one long
            // backtick run needs a fence as long again, twice).
            room = over <= 0 ? room : Math.max(room - over, room / 3 - 8);
        }
        return block;
    }

    /** The UTF-8 size of {@code s}, as GitHub counts it. */
    static int utf8Length(CharSequence s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3; // the rest of the BMP, and an unpaired surrogate as its replacement
            }
        }
        return bytes;
    }

    /**
     * {@code text} within {@code maxBytes}: if it is longer, its first lines that fit followed by
     * {@code marker}. Cut at a line end, so no escape or code block line is cut in two; a first
     * line alone too long is cut at a character.
     */
    static String headWithin(String text, int maxBytes, String marker) {
        if (utf8Length(text) <= maxBytes) {
            return text;
        }
        int room = maxBytes - utf8Length(marker);
        if (room <= 0) {
            return "";
        }
        int end = prefixWithin(text, room);
        int nl = text.lastIndexOf('\n', end - 1);
        return text.substring(0, nl > 0 ? nl + 1 : end) + marker;
    }

    /** The end of {@code text} within {@code maxBytes}, starting at a line where it can. */
    static String tailBytes(String text, int maxBytes) {
        if (utf8Length(text) <= maxBytes) {
            return text;
        }
        int start = text.length();
        int bytes = 0;
        while (start > 0) {
            int cp = text.codePointBefore(start);
            int size = utf8Size(cp);
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            start -= Character.charCount(cp);
        }
        String tail = text.substring(start);
        int nl = tail.indexOf('\n');
        return nl >= 0 && nl + 1 < tail.length() ? tail.substring(nl + 1) : tail;
    }

    /** The characters of {@code text} from its start that fit in {@code maxBytes}, never half a pair. */
    private static int prefixWithin(String text, int maxBytes) {
        int end = 0;
        int bytes = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            int size = utf8Size(cp);
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            end += Character.charCount(cp);
        }
        return end;
    }

    private static int utf8Size(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    private static int fenceLength(String content) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < content.length(); i++) {
            run = content.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return Math.max(3, longest + 1);
    }

    private static boolean isBreaking(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** Characters that reorder how the text around them is shown ("Trojan Source"). */
    private static boolean isBidiControl(int cp) {
        return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069);
    }
}
