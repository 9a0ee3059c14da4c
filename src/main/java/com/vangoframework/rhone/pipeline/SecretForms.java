package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.MaskingMinimum;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The texts a secret value can appear as in a build's output, for {@link SecretMasker}: the value
 * itself, each line of a multi-line value, and the base64, percent-encoded and JSON-escaped forms
 * of both. Each encoding is produced here by rule rather than by the library that wrote the log
 * line, so the variants the common encoders differ in (hex case, which characters they leave
 * alone) are listed one by one; the README names them.
 */
final class SecretForms {

    private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();
    private static final char[] LOWER_HEX = "0123456789abcdef".toCharArray();

    /** Characters besides ASCII letters and digits that a percent-encoder leaves as they are. */
    private static final String[] URL_SAFE = {
        "-._~",       // RFC 3986 unreserved (curl, Python's quote, Go's PathEscape)
        "-._*",       // HTML forms and Java's URLEncoder
        "-_.!~*'()",  // JavaScript's encodeURIComponent
    };

    private SecretForms() {
    }

    /** Every form of {@code value} to hide, the value itself first; none when it is too short. */
    static Set<String> of(String value) {
        Set<String> forms = new LinkedHashSet<>();
        if (value.length() >= MaskingMinimum.PLAIN) {
            forms.add(value);
        }
        if (value.length() >= MaskingMinimum.ENCODED) {
            addEncoded(value, forms);
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            // Logs arrive a line at a time: a PEM key printed by a build is seen line by line.
            value.lines().map(String::strip).filter(line -> line.length() >= MaskingMinimum.ENCODED).forEach(line -> {
                forms.add(line);
                addEncoded(line, forms);
            });
        }
        return forms;
    }

    private static void addEncoded(String value, Set<String> forms) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        for (Base64.Encoder encoder : new Base64.Encoder[] {Base64.getEncoder(), Base64.getUrlEncoder()}) {
            String padded = encoder.encodeToString(utf8);
            forms.add(padded);
            forms.add(padded.replace("=", ""));
            for (int offset = 0; offset < 3; offset++) {
                forms.add(base64Core(encoder, utf8, offset));
            }
        }
        for (String safe : URL_SAFE) {
            for (boolean plusForSpace : new boolean[] {false, true}) {
                forms.add(percentEncode(utf8, safe, plusForSpace, UPPER_HEX));
                forms.add(percentEncode(utf8, safe, plusForSpace, LOWER_HEX));
            }
        }
        for (int variant = 0; variant < 16; variant++) {
            forms.add(jsonEscape(value, (variant & 1) != 0, (variant & 2) != 0 ? LOWER_HEX : UPPER_HEX,
                    (variant & 4) != 0, (variant & 8) != 0));
        }
    }

    /**
     * The base64 characters that depend on {@code bytes} alone when they sit {@code offset} bytes
     * past a multiple of three in a longer stream (a value inside an encoded config file or a
     * Basic auth header). Character i of an encoding carries bits 6i to 6i+5 of the stream; it is
     * kept when every byte those bits fall in belongs to the value. The one or two characters at
     * each end that mix in a neighbour's bits are not, and cannot be, known in advance.
     */
    static String base64Core(Base64.Encoder encoder, byte[] bytes, int offset) {
        byte[] stream = new byte[offset + bytes.length + 2];
        System.arraycopy(bytes, 0, stream, offset, bytes.length);
        String encoded = encoder.withoutPadding().encodeToString(stream);
        int first = (offset * 8 + 5) / 6;                       // first i with 6i >= 8 * offset
        int last = ((offset + bytes.length) * 8 - 6) / 6;       // last i with 6i + 5 < 8 * (offset + n)
        return encoded.substring(first, last + 1);
    }

    /** Percent-encoding of UTF-8 bytes: letters, digits and {@code safe} kept, all else {@code %XX}. */
    static String percentEncode(byte[] utf8, String safe, boolean plusForSpace, char[] hex) {
        StringBuilder out = new StringBuilder(utf8.length * 3);
        for (byte b : utf8) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || safe.indexOf(c) >= 0) {
                out.append((char) c);
            } else if (c == ' ' && plusForSpace) {
                out.append('+');
            } else {
                out.append('%').append(hex[c >> 4]).append(hex[c & 15]);
            }
        }
        return out.toString();
    }

    /**
     * The value as it stands between the quotes of a JSON string. Always: {@code \"}, {@code \\},
     * the short escapes {@code \b \f \n \r \t} and a backslash-u escape of four hex digits for
     * other control characters (Jackson, JavaScript, Python). As options: non-ASCII as such escapes
     * of UTF-16 units (Jackson's ESCAPE_NON_ASCII, Python's default), lower-case hex (Python, Go),
     * {@code \/} (PHP), and {@code < > &} and U+2028/U+2029 escaped too (Go).
     */
    static String jsonEscape(String value, boolean escapeNonAscii, char[] hex, boolean escapeSlash, boolean htmlSafe) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '/' -> out.append(escapeSlash ? "\\/" : "/");
                default -> {
                    boolean html = htmlSafe && (c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029');
                    if (c < 0x20 || html || (escapeNonAscii && c > 0x7f)) {
                        out.append("\\u").append(hex[c >> 12]).append(hex[(c >> 8) & 15])
                                .append(hex[(c >> 4) & 15]).append(hex[c & 15]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
