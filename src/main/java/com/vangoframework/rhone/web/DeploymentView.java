package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.EmptyLog;
import java.time.Instant;

/**
 * A deployment as the pages show it, and as the live app pages receive it (JSON): plain strings,
 * nothing for templates or scripts to compute but relative times and the running timer.
 */
public record DeploymentView(long id, String app, String status, String statusLabel, boolean running,
                             boolean finished, boolean retryable, String trigger, String branch, String commitSha,
                             String shortSha, String commitMessage, String commitAuthor, String commitUrl,
                             String duration, String createdIso, String createdExact,
                             String createdAgo, String startedIso, String imageTag, String imageDigest,
                             Long imageSizeBytes, String imageSize, String pullCommand, String error,
                             String emptyLog, boolean fromFork, String headRepository, String approvedBy) {

    public static DeploymentView of(Deployment d, App app, CommitLinks links, Instant now) {
        String status = d.status().dbValue();
        String message = d.commitMessage() == null ? "" : d.commitMessage().lines().findFirst().orElse("");
        return new DeploymentView(d.id(), app.slug(), status, label(status), d.status().isActive(),
                d.status().isBuildFinished(), d.status().isBuildFinished() && !"built".equals(status),
                d.trigger().dbValue(), d.branch(), d.commitSha(), d.shortSha(), message, d.commitAuthor(),
                links.commit(app, d.commitSha()).orElse(null), Formats.duration(d.buildDurationMs()), iso(d.createdAt()), Formats.exact(d.createdAt()),
                Formats.ago(d.createdAt(), now), iso(d.buildStartedAt()), d.imageTag(), d.imageDigest(),
                d.imageSizeBytes(), Formats.bytes(d.imageSizeBytes()), pullCommand(d.imageTag(), d.imageDigest()),
                d.errorMessage(), EmptyLog.explain(d), d.fromFork(), d.headRepository(), d.approvedBy());
    }

    /** "build_failed" → "Build failed". */
    public static String label(String status) {
        String spaced = status.replace('_', ' ');
        return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
    }

    /** {@code docker pull <repository>@<digest>}: the exact image, whatever the tag points at later. */
    static String pullCommand(String imageTag, String digest) {
        if (imageTag == null || digest == null) {
            return null;
        }
        int slash = imageTag.lastIndexOf('/');
        int colon = imageTag.lastIndexOf(':');
        String repository = colon > slash ? imageTag.substring(0, colon) : imageTag;
        return "docker pull " + repository + "@" + digest;
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
