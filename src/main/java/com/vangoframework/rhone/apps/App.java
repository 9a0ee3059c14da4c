package com.vangoframework.rhone.apps;

import java.time.Instant;

/**
 * An app builds one branch of either a GitHub repository (through an App installation) or a
 * plain git URL; the schema enforces exactly one of the two.
 */
public record App(long id, long teamId, String slug, String githubRepo, Long installationId, String gitUrl,
                  String branch, int buildTimeoutSeconds, Instant createdAt) {

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
