package com.vangoframework.rhone.pipeline;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Replaces every secret value in a line with {@code ****}: app env var values, the installation
 * token, registry credentials. Longer values are replaced first, so a secret that contains
 * another is hidden whole. Values shorter than {@value #MIN_LENGTH} characters are not masked:
 * hiding every "1" or "on" would garble the log and protect nothing.
 */
public final class SecretMasker implements UnaryOperator<String> {

    static final int MIN_LENGTH = 4;
    public static final String MASK = "****";

    private final List<String> secrets;

    public SecretMasker(Collection<String> values) {
        // Logs are masked a line at a time: a multi-line value (a PEM key) is hidden line by line.
        this.secrets = values.stream()
                .filter(v -> v != null)
                .flatMap(v -> java.util.stream.Stream.concat(java.util.stream.Stream.of(v), v.lines().map(String::strip)))
                .filter(v -> v.length() >= MIN_LENGTH)
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    @Override
    public String apply(String line) {
        if (line == null || secrets.isEmpty()) {
            return line;
        }
        String out = line;
        for (String secret : secrets) {
            if (out.contains(secret)) {
                out = out.replace(secret, MASK);
            }
        }
        return out;
    }
}
