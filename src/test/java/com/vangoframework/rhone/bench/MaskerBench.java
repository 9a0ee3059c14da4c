package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.pipeline.SecretMasker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * What masking costs per log line (run by ops/bench/masker; prints figures, asserts nothing about
 * time). A build's worth of lines ({@code lines}, default 200,000: npm/docker-like output, one in
 * 500 carrying a secret in some form) is masked with the secrets of a realistic app: ten env vars
 * of 12-80 characters, a 2,048-bit PEM key, an installation token and a registry password. Three
 * maskers run over the same lines: the one-pass automaton over every form, the masker before
 * issue 13 (plain values only, one {@code contains} per value), and a {@code contains} loop over
 * every form, which is what the forms would cost without the automaton.
 */
public final class MaskerBench {

    public static void main(String[] args) {
        int lineCount = Integer.parseInt(System.getProperty("lines", "200000"));
        int rounds = Integer.parseInt(System.getProperty("rounds", "12"));
        Random random = new Random(13);
        List<String> secrets = secrets(random);
        List<String> lines = lines(random, lineCount, secrets);
        long chars = lines.stream().mapToLong(String::length).sum();

        long t0 = System.nanoTime();
        SecretMasker masker = new SecretMasker(secrets);
        double buildMs = (System.nanoTime() - t0) / 1e6;
        System.out.printf("== masking %,d lines (%,d characters), %d secret values -> %d forms; masker built in %.1f ms ==%n",
                lineCount, chars, secrets.size(), masker.patternCount(), buildMs);

        List<String> forms = formsOf(masker, secrets);
        report("one-pass automaton, every form", masker, lines, rounds);
        report("before issue 13: plain values, contains loop", oldMasker(secrets), lines, rounds);
        report("contains loop over every form", containsLoop(forms), lines, rounds);
    }

    private static void report(String name, UnaryOperator<String> masker, List<String> lines, int rounds) {
        List<Double> perLine = new ArrayList<>();
        int changed = 0;
        for (int r = 0; r < rounds; r++) {
            changed = 0;
            long start = System.nanoTime();
            for (String line : lines) {
                if (masker.apply(line) != line) {
                    changed++;
                }
            }
            perLine.add((System.nanoTime() - start) / (double) lines.size());
        }
        List<Double> counted = new ArrayList<>(perLine.subList(2, perLine.size()));
        Collections.sort(counted);
        System.out.printf("%-48s median %7.0f ns/line, min %7.0f, max %7.0f; %,d lines masked; %.0f ms for the build%n",
                name, counted.get(counted.size() / 2), counted.get(0), counted.get(counted.size() - 1), changed,
                counted.get(counted.size() / 2) * lines.size() / 1e6);
    }

    /** The forms the masker hides, recovered by masking each candidate: for the contains loop only. */
    private static List<String> formsOf(SecretMasker masker, List<String> secrets) {
        List<String> candidates = new ArrayList<>();
        for (String s : secrets) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            candidates.add(s);
            candidates.add(Base64.getEncoder().encodeToString(b));
            candidates.add(Base64.getUrlEncoder().encodeToString(b));
            candidates.add(java.net.URLEncoder.encode(s, StandardCharsets.UTF_8));
            s.lines().map(String::strip).filter(l -> l.length() >= 8).forEach(candidates::add);
        }
        // Pad to the automaton's pattern count with distinct strings of the same lengths, so the
        // loop does as many contains calls as there are forms.
        List<String> forms = new ArrayList<>(candidates);
        for (int i = 0; forms.size() < masker.patternCount(); i++) {
            String c = candidates.get(i % candidates.size());
            forms.add(c.substring(1) + (char) ('0' + i % 10));
        }
        return forms;
    }

    private static UnaryOperator<String> oldMasker(List<String> secrets) {
        List<String> plain = secrets.stream()
                .flatMap(v -> java.util.stream.Stream.concat(java.util.stream.Stream.of(v), v.lines().map(String::strip)))
                .filter(v -> v.length() >= 4).distinct()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
        return containsLoop(plain);
    }

    private static UnaryOperator<String> containsLoop(List<String> forms) {
        return line -> {
            String out = line;
            for (String f : forms) {
                if (out.contains(f)) {
                    out = out.replace(f, SecretMasker.MASK);
                }
            }
            return out;
        };
    }

    private static List<String> secrets(Random random) {
        List<String> s = new ArrayList<>();
        s.add("postgres://app:" + token(random, 24) + "@db.internal:5432/app");
        s.add("sk_live_" + token(random, 40));
        s.add("ghp_" + token(random, 36));
        s.add(token(random, 64));
        s.add("redis://:" + token(random, 16) + "@cache:6379");
        s.add("AKIA" + token(random, 16).toUpperCase());
        s.add(token(random, 40));
        s.add("https://hooks.slack.com/services/T000/B000/" + token(random, 24));
        s.add(token(random, 12));
        s.add("p@ss w0rd/with:stuff");
        StringBuilder pem = new StringBuilder("-----BEGIN PRIVATE KEY-----\n");
        byte[] key = new byte[1218];
        random.nextBytes(key);
        String body = Base64.getEncoder().encodeToString(key);
        for (int i = 0; i < body.length(); i += 64) {
            pem.append(body, i, Math.min(body.length(), i + 64)).append('\n');
        }
        s.add(pem.append("-----END PRIVATE KEY-----\n").toString());
        s.add("ghs_" + token(random, 36));            // installation token
        s.add("FlyV1 fm2_" + token(random, 200));     // registry password
        return s;
    }

    private static List<String> lines(Random random, int count, List<String> secrets) {
        String[] templates = {
            "#12 [build 4/9] RUN npm ci --omit=dev",
            "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
            "#14 0.512 added 1432 packages, and audited 1433 packages in 21s",
            "#9 sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1 32B / 32B 0.2s done",
            "  > next build",
            "   Creating an optimized production build ...",
            "Route (app)                              Size     First Load JS",
            "├ ○ /_not-found                          871 B          87.3 kB",
            "#15 exporting layers 4.2s done",
            "Downloading https://registry.npmjs.org/react-dom/-/react-dom-18.3.1.tgz",
        };
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String line = templates[random.nextInt(templates.length)] + " " + i;
            if (i % 500 == 0) {
                String secret = secrets.get(random.nextInt(secrets.size() - 3));
                line = i % 1000 == 0 ? "DATABASE_URL=" + secret
                        : "auth " + Base64.getEncoder().encodeToString(("x:" + secret).getBytes(StandardCharsets.UTF_8));
            }
            lines.add(line);
        }
        return lines;
    }

    private static String token(Random random, int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }
}
