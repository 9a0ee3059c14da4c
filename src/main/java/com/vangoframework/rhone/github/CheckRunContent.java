package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.logs.LogLines;
import java.util.Optional;
import org.kohsuke.github.GHCheckRun;

/**
 * What a deployment looks like as a Check Run, within GitHub's limits (title 255 characters,
 * summary and text 65,535, action label 20, description 40). A completed run always carries a
 * conclusion. A fork's pull request waiting for approval is a completed run with the conclusion
 * {@code action_required} and the requested action "Approve and build" (GitHub shows it only to
 * people with write access to the repository).
 */
public record CheckRunContent(GHCheckRun.Status status, Optional<GHCheckRun.Conclusion> conclusion, String title,
                              String summary, String text, boolean rebuildAction, boolean approveAction) {

    /** A run that offers at most the Rebuild action. */
    public CheckRunContent(GHCheckRun.Status status, Optional<GHCheckRun.Conclusion> conclusion, String title,
                           String summary, String text, boolean rebuildAction) {
        this(status, conclusion, title, summary, text, rebuildAction, false);
    }

    static final int MAX_TEXT = 65_535;
    static final int MAX_TITLE = 255;

    public CheckRunContent {
        if (status == GHCheckRun.Status.COMPLETED && conclusion.isEmpty()) {
            throw new IllegalArgumentException("a completed check run needs a conclusion");
        }
        title = cut(title, MAX_TITLE);
        summary = cut(summary, MAX_TEXT);
        text = cut(text, MAX_TEXT);
    }

    public static CheckRunContent of(Deployment d, App app, String detailsUrl, String logTail) {
        String link = "[Build log](" + detailsUrl + ")";
        // Room for the fences and the note: the text stays within GitHub's limit.
        String log = logTail.isEmpty() ? "" : fenced(LogLines.lastChars(logTail, MAX_TEXT - 200));
        DeploymentStatus s = d.status();
        if (s == DeploymentStatus.PENDING) {
            return queued(detailsUrl);
        }
        if (s == DeploymentStatus.AWAITING_APPROVAL) {
            return awaitingApproval(d, detailsUrl);
        }
        if (s.isActive()) {
            String phase = switch (s) {
                case CLONING -> "Cloning";
                case ANALYZING -> "Analyzing";
                case BUILDING -> "Building";
                default -> "Pushing";
            };
            return new CheckRunContent(GHCheckRun.Status.IN_PROGRESS, Optional.empty(), phase + " " + app.slug(),
                    phase + " (attempt " + d.attempt() + "). " + link, log, false);
        }
        String duration = d.buildDurationMs() == null ? "" : " in " + seconds(d.buildDurationMs());
        return switch (s) {
            case BUILT, DEPLOYING, LIVE, DEPLOY_FAILED -> new CheckRunContent(GHCheckRun.Status.COMPLETED,
                    Optional.of(GHCheckRun.Conclusion.SUCCESS), "Built " + d.imageTag() + duration,
                    "Image `" + d.imageTag() + "`\n\nDigest `" + d.imageDigest() + "`\n\n" + link, log, false);
            case CANCELLED -> new CheckRunContent(GHCheckRun.Status.COMPLETED,
                    Optional.of(GHCheckRun.Conclusion.CANCELLED), "Cancelled",
                    Optional.ofNullable(d.errorMessage()).orElse("cancelled") + ". " + link, log, true);
            default -> {
                String error = Optional.ofNullable(d.errorMessage()).orElse("the build failed");
                GHCheckRun.Conclusion c = error.startsWith("timed out")
                        ? GHCheckRun.Conclusion.TIMED_OUT : GHCheckRun.Conclusion.FAILURE;
                yield new CheckRunContent(GHCheckRun.Status.COMPLETED, Optional.of(c), error,
                        error + "\n\n" + link, log, true);
            }
        };
    }

    /** A fork's pull request that is not built until someone approves it. */
    public static CheckRunContent awaitingApproval(Deployment d, String detailsUrl) {
        String fork = d.headRepository() == null ? "a fork that no longer exists" : "the fork " + d.headRepository();
        return new CheckRunContent(GHCheckRun.Status.COMPLETED, Optional.of(GHCheckRun.Conclusion.ACTION_REQUIRED),
                "Waiting for approval: pull request from " + fork,
                "Pull requests from forks are not built until someone approves them: the build would run this "
                        + "code. Read the changes, then press **Approve and build** above (shown to people with "
                        + "write access) or Approve on the [deployment page](" + detailsUrl + "). It is built "
                        + "without the app's env vars and pushed to the pull-request image repository.",
                "", false, true);
    }

    /** A request waiting for a build slot; also how every run starts, as its request did. */
    public static CheckRunContent queued(String detailsUrl) {
        return new CheckRunContent(GHCheckRun.Status.QUEUED, Optional.empty(), "Queued",
                "Waiting for a build slot. [Build log](" + detailsUrl + ")", "", false);
    }

    /**
     * The log as a Markdown code block whose fence is longer than any run of backticks in it, so
     * a line of backticks that a build printed cannot close the block and turn the rest into
     * Markdown (links, images, mentions) on the pull request.
     */
    static String fenced(String log) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < log.length(); i++) {
            run = log.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(Math.max(3, longest + 1));
        return fence + "\n" + log + (log.endsWith("\n") ? "" : "\n") + fence + "\n";
    }

    private static String seconds(long ms) {
        return ms < 60_000 ? String.format("%.1f s", ms / 1000.0) : (ms / 60_000) + " min " + (ms % 60_000) / 1000 + " s";
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
