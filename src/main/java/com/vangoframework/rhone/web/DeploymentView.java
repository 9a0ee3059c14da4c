package com.vangoframework.rhone.web;

import com.vangoframework.rhone.deployments.Deployment;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** A deployment as the pages show it: plain strings, nothing for templates to compute. */
public record DeploymentView(long id, String status, String statusLabel, boolean running, boolean finished,
                             boolean retryable, String trigger, String branch, String commitSha, String shortSha,
                             String commitMessage, String commitAuthor, String duration, String created,
                             String createdIso, String imageTag, String imageDigest, String error) {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    public static DeploymentView of(Deployment d) {
        String status = d.status().dbValue();
        String message = d.commitMessage() == null ? "" : d.commitMessage().lines().findFirst().orElse("");
        return new DeploymentView(d.id(), status, label(status), d.status().isActive(), d.status().isBuildFinished(),
                d.status().isBuildFinished() && !"built".equals(status), d.trigger().dbValue(), d.branch(),
                d.commitSha(), d.shortSha(), message, d.commitAuthor(), duration(d.buildDurationMs()),
                when(d.createdAt()), d.createdAt() == null ? "" : d.createdAt().toString(), d.imageTag(),
                d.imageDigest(), d.errorMessage());
    }

    /** "build_failed" → "Build failed". */
    public static String label(String status) {
        String spaced = status.replace('_', ' ');
        return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
    }

    private static String duration(Long millis) {
        if (millis == null) {
            return "";
        }
        Duration d = Duration.ofMillis(millis);
        return d.toMinutes() > 0 ? d.toMinutes() + " min " + d.toSecondsPart() + " s"
                : String.format("%.1f s", millis / 1000.0);
    }

    private static String when(Instant t) {
        return t == null ? "" : WHEN.format(t);
    }
}
