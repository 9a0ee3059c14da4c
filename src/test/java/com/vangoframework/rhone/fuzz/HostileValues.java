package com.vangoframework.rhone.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The raw material of hostile requests: strings, numbers, JSON shapes and bodies, all from one seeded random. */
final class HostileValues {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Strings that have broken parsers, paths, SQL, templates and logs somewhere. */
    private static final List<String> STRINGS = List.of(
            "", " ", "\t", "null", "true", "0", "-1", "web", "main", "refs/heads/main",
            "../../../../etc/passwd", "..", ".", "%2e%2e%2f", "..\\..\\windows", "/", "//", "web/../secret-app",
            "\u0000", "a\u0000b", "\u0001\u0002\u0003\u001b[31m", "\r\nX-Injected: 1", "line\nbreak", "\u2028\u2029",
            "\uFEFF", "\u202Eevil", "😀", "👩‍👩‍👧‍👦", "ｗｅｂ", "١٢٣", "Ωmega", "naïve", "\u0301",
            "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
            "'; DROP TABLE apps; --", "' OR '1'='1", "${jndi:ldap://127.0.0.1/x}", "%s%n%x", "{{7*7}}", "${7*7}",
            "#{7*7}", "<#assign x=1>", "\\", "\\\\u0000", "%00", "%ff", "%", "+", "a b",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
            "1e309", "NaN", "Infinity", "-0", "0x10", "1.5", "00000000000000000001",
            "0123456789abcdef0123456789abcdef01234567", "0123456789ABCDEF0123456789ABCDEF01234567",
            "0123456789abcdef0123456789abcdef0123456", "0123456789abcdef0123456789abcdef012345678",
            "0123456789abcdef0123456789abcdef01234567\n", "0123456789abcdef0123456789abcdef0123456\u0000",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

    private final Random random;

    HostileValues(Random random) {
        this.random = random;
    }

    Random random() {
        return random;
    }

    boolean chance(double p) {
        return random.nextDouble() < p;
    }

    <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }

    /** A hostile string: from the list, overlong, random unicode, or random control bytes. */
    String string() {
        return switch (random.nextInt(10)) {
            case 0 -> "x".repeat(pick(List.of(256, 1_025, 8_193, 70_000)));
            case 1 -> randomUnicode(1 + random.nextInt(40));
            case 2 -> pick(STRINGS) + pick(STRINGS);
            default -> pick(STRINGS);
        };
    }

    String randomUnicode(int length) {
        StringBuilder s = new StringBuilder();
        while (s.length() < length) {
            int cp = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0x20);
                case 1 -> 0x20 + random.nextInt(0x5F);
                case 2 -> 0xA0 + random.nextInt(0xD7FF - 0xA0);
                default -> 0x10000 + random.nextInt(0x10FFFF - 0x10000);
            };
            s.appendCodePoint(cp);
        }
        return s.toString();
    }

    /** An id as a path segment or query value might carry one. */
    String id(List<String> real) {
        return chance(0.4) ? pick(real) : string();
    }

    /** Any JSON value, small; nesting stops at {@code depth}. */
    JsonNode value(int depth) {
        int kinds = depth <= 0 ? 7 : 9;
        return switch (random.nextInt(kinds)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(pick(List.of(0L, -1L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, 4242L)));
            case 3 -> NODES.numberNode(new BigInteger(pick(List.of("18446744073709551616",
                    "-99999999999999999999999999999", "1" + "0".repeat(400)))));
            case 4 -> NODES.numberNode(new BigDecimal(pick(List.of("1e400", "-0.0", "3.14159", "1e-400"))));
            case 5, 6 -> NODES.textNode(string());
            case 7 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    a.add(value(depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = NODES.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    o.set(chance(0.5) ? string() : pick(List.of("id", "full_name", "ref", "after", "sha")),
                            value(depth - 1));
                }
                yield o;
            }
        };
    }

    /**
     * A copy of {@code template} with a few random changes: a value replaced by one of another
     * type, a field removed, a field added.
     */
    JsonNode mutate(JsonNode template) {
        JsonNode copy = template.deepCopy();
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes; i++) {
            List<ObjectNode> objects = new ArrayList<>();
            collectObjects(copy, objects);
            if (objects.isEmpty()) {
                return value(3);
            }
            ObjectNode target = pick(objects);
            List<String> names = new ArrayList<>();
            target.fieldNames().forEachRemaining(names::add);
            int what = random.nextInt(10);
            if (what < 6 && !names.isEmpty()) {
                target.set(pick(names), value(2));
            } else if (what < 8 && !names.isEmpty()) {
                target.remove(pick(names));
            } else {
                target.set(chance(0.5) ? string() : pick(names.isEmpty() ? List.of("x") : names), value(2));
            }
        }
        return copy;
    }

    private static void collectObjects(JsonNode node, List<ObjectNode> into) {
        if (node instanceof ObjectNode o) {
            into.add(o);
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                collectObjects(it.next().getValue(), into);
            }
        } else if (node.isArray()) {
            node.forEach(n -> collectObjects(n, into));
        }
    }

    /** A body that is not JSON, or JSON a strict reader must refuse, or JSON at the edges of size and depth. */
    byte[] oddBody(byte[] valid) {
        return switch (random.nextInt(14)) {
            case 0 -> new byte[0];
            case 1 -> bytes(valid.length == 0 ? 16 : random.nextInt(valid.length * 2 + 1));
            case 2 -> java.util.Arrays.copyOf(valid, valid.length / 2);
            case 3 -> concat(valid, " x".getBytes(StandardCharsets.UTF_8));
            case 4 -> concat(valid, valid);
            case 5 -> ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
            case 6 -> ("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000)).getBytes(StandardCharsets.UTF_8);
            case 7 -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, valid);
            case 8 -> new String(valid, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16);
            case 9 -> ("{\"commit_sha\":\"" + "a".repeat(3 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
            case 10 -> new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'};
            case 11 -> pick(List.of("null", "true", "0", "\"\"", "[]", "{}", "1e999999", "-", "{\"a\":1,\"a\":2}",
                    "{'single':'quotes'}", "{a:1}", "/* c */ {}", "[1,]", "{\"a\":NaN}"))
                    .getBytes(StandardCharsets.UTF_8);
            case 12 -> ("{\"x\":\"" + "\\u0000".repeat(1_000) + "\"}").getBytes(StandardCharsets.UTF_8);
            default -> bytes(1 + random.nextInt(64));
        };
    }

    byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
