package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.MaskingMinimum;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Replaces every secret value in a line with {@code ****}: app env var values, the installation
 * token, registry credentials. What counts as a value's appearance is {@link SecretForms}: the
 * value of {@value MaskingMinimum#PLAIN} characters or more as it is, and from
 * {@value MaskingMinimum#ENCODED} characters its base64, percent-encoded and JSON-escaped forms
 * and each line of a multi-line value. Where occurrences overlap (one secret inside another, or
 * two sharing characters), the whole stretch they cover becomes one {@code ****}, so no piece of
 * either is left showing. One pass over the line however many forms there are.
 */
public final class SecretMasker implements UnaryOperator<String> {

    public static final String MASK = "****";

    private final PatternSearch search;
    private final int patterns;

    public SecretMasker(Collection<String> values) {
        Set<String> forms = new LinkedHashSet<>();
        values.stream().filter(Objects::nonNull).forEach(v -> forms.addAll(SecretForms.of(v)));
        this.search = new PatternSearch(forms);
        this.patterns = forms.size();
    }

    /** How many distinct texts this masker hides (for the benchmark). */
    public int patternCount() {
        return patterns;
    }

    @Override
    public String apply(String line) {
        if (line == null || search.isEmpty()) {
            return line;
        }
        int[] spans = search.cover(line);
        if (spans == null) {
            return line;
        }
        StringBuilder out = new StringBuilder(line.length());
        int done = 0;
        for (int k = 0; k < spans.length; k += 2) {
            out.append(line, done, spans[k]).append(MASK);
            done = spans[k + 1];
        }
        return out.append(line, done, line.length()).toString();
    }
}
