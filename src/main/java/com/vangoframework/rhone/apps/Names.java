package com.vangoframework.rhone.apps;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks for names that come from outside (CLI arguments, API bodies, later webhooks). Each check
 * returns the problem as a sentence naming the field, or empty when the value is fine.
 */
public final class Names {

    private static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,254}");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

    /** Appended to an app's slug to name the registry repository of its pull-request images. */
    private static final String PULL_REQUEST_SUFFIX = "-pr";

    private Names() {
    }

    public static Optional<String> checkSlug(String field, String value) {
        if (value == null || !SLUG.matcher(value).matches()) {
            return Optional.of(field + " must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");
        }
        return Optional.empty();
    }

    /**
     * A new app's slug: a valid slug that does not end in {@code -pr}, since an app's pull-request
     * images go to {@code <registry>/<app>-pr}. Existing apps keep their names; only creation checks this.
     */
    public static Optional<String> checkNewAppSlug(String field, String value) {
        Optional<String> problem = checkSlug(field, value);
        if (problem.isPresent() || !value.endsWith(PULL_REQUEST_SUFFIX)) {
            return problem;
        }
        String base = value.substring(0, value.length() - PULL_REQUEST_SUFFIX.length());
        return Optional.of(field + " must not end in '" + PULL_REQUEST_SUFFIX + "': <registry>/<app>"
                + PULL_REQUEST_SUFFIX + " is where app <app>'s pull-request images go, so '" + value
                + "' would collide with the pull-request images of an app '" + base + "'");
    }

    public static Optional<String> checkRepo(String field, String value) {
        if (value == null || !REPO.matcher(value).matches() || value.contains("..")) {
            return Optional.of(field + " must be a GitHub repository as owner/name");
        }
        return Optional.empty();
    }

    public static Optional<String> checkEnvName(String field, String value) {
        if (value == null || !ENV_NAME.matcher(value).matches()) {
            return Optional.of(field + " must be a variable name: letters, digits and '_', not starting with a digit");
        }
        return Optional.empty();
    }

    /**
     * A commit SHA exactly as git writes it: 40 lower-case hex digits, nothing around them. A
     * short SHA is ambiguous, and a value that needs mending (spaces, a newline, upper case, a
     * NUL) is refused rather than guessed at: what was sent is what gets recorded.
     */
    public static Optional<String> exactSha(String value) {
        return value != null && SHA.matcher(value).matches() ? Optional.of(value) : Optional.empty();
    }

    /** git check-ref-format's rules for a branch name. */
    public static Optional<String> checkBranch(String field, String value) {
        String problem = field + " is not a valid git branch name";
        if (value == null || value.isEmpty() || value.length() > 255) {
            return Optional.of(problem);
        }
        if (value.startsWith("-") || value.startsWith("/") || value.endsWith("/") || value.endsWith(".")
                || value.endsWith(".lock") || value.contains("..") || value.contains("//")
                || value.contains("@{") || value.equals("@") || value.contains("/.") || value.startsWith(".")) {
            return Optional.of(problem);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || " ~^:?*[\\".indexOf(c) >= 0) {
                return Optional.of(problem);
            }
        }
        for (String part : value.split("/")) {
            if (part.endsWith(".lock")) {
                return Optional.of(problem);
            }
        }
        return Optional.empty();
    }

    /** Plain git URLs: https or http (for a local test server) or file; never with a password in them. */
    public static Optional<String> checkGitUrl(String field, String value) {
        if (value == null || value.isBlank()) {
            return Optional.of(field + " is required");
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            return Optional.of(field + " is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") && !scheme.equals("file")) {
            return Optional.of(field + " must be an https://, http:// or file:// URL (ssh and git:// are not "
                    + "supported; a local repository is file:///path/to/repo)");
        }
        if (uri.getRawUserInfo() != null && uri.getRawUserInfo().contains(":")) {
            return Optional.of(field + " must not contain a password; use a GitHub App installation instead");
        }
        if (!scheme.equals("file") && (uri.getHost() == null || uri.getHost().isEmpty())) {
            return Optional.of(field + " has no host");
        }
        return Optional.empty();
    }
}
