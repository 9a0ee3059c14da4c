package com.vangoframework.rhone.apps;

import java.time.Instant;

/**
 * An app builds one branch of either a GitHub repository (through an App installation) or a
 * plain git URL; the schema enforces exactly one of the two.
 */
public record App(long id, long teamId, String slug, String githubRepo, Long installationId, String gitUrl,
                  String branch, int buildTimeoutSeconds, Instant createdAt, String forkPullRequests,
                  boolean pullRequestSecrets) {

    /** What happens to pull requests from forks ({@code fork_pull_requests}). */
    public enum ForkPolicy {
        /** Recorded as awaiting approval; built once someone with write access approves. */
        APPROVE,
        /** Never built. */
        NEVER,
        /** Built at once (still without the app's env vars). */
        ALWAYS;

        public String dbValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static ForkPolicy fromDb(String value) {
            return java.util.Arrays.stream(values()).filter(p -> p.dbValue().equals(value)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "fork pull requests must be approve, never or always, not '" + value + "'"));
        }
    }

    public ForkPolicy forkPolicy() {
        return forkPullRequests == null ? ForkPolicy.APPROVE : ForkPolicy.fromDb(forkPullRequests);
    }

    public boolean isGitHub() {
        return githubRepo != null;
    }

    /** How people read the source: {@code github owner/name (installation N)} or {@code git URL}. */
    public String describeSource() {
        return describeSource(githubRepo, installationId, gitUrl);
    }

    public static String describeSource(String githubRepo, Long installationId, String gitUrl) {
        return githubRepo != null ? "github " + githubRepo + " (installation " + installationId + ")" : "git " + gitUrl;
    }
}
