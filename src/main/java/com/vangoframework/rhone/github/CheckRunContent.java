package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kohsuke.github.GHCheckRun;

/**
 * What a deployment looks like as a Check Run, within GitHub's limits (title 255 characters,
 * summary and text 65,535 bytes of UTF-8, action label 20, description 40). A completed run
 * always carries a conclusion. A fork's pull request waiting for approval is a completed run with the conclusion
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

    static final int MAX_TEXT = MarkdownText.MAX_BYTES;
    static final int MAX_TITLE = 255;
    private static final int MAX_SENTENCE = 2_000;

    public CheckRunContent {
        if (status == GHCheckRun.Status.COMPLETED && conclusion.isEmpty()) {
            throw new IllegalArgumentException("a completed check run needs a conclusion");
        }
        title = cut(title, MAX_TITLE);
        summary = within(summary);
        text = within(text);
    }

    public static CheckRunContent of(Deployment d, App app, String detailsUrl, String logTail) {
        return of(d, app, detailsUrl, logTail, CheckRunInsights.NONE);
    }

    /** The run of {@code d}, with where its build's time went when steps or phases were recorded. */
    static CheckRunContent of(Deployment d, App app, String detailsUrl, String logTail, CheckRunInsights insights) {
        String link = "[Build log](" + detailsUrl + ")";
        String log = logTail.isEmpty() ? "" : MarkdownText.codeBlockOfTail(logTail, MarkdownText.MAX_BYTES);
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
                    summary(phase + " (attempt " + d.attempt() + "). " + link, insights, true, detailsUrl), log,
                    false);
        }
        String duration = d.buildDurationMs() == null ? "" : " in " + CheckRunInsights.seconds(d.buildDurationMs());
        return switch (s) {
            case BUILT, DEPLOYING, LIVE, DEPLOY_FAILED -> new CheckRunContent(GHCheckRun.Status.COMPLETED,
                    Optional.of(GHCheckRun.Conclusion.SUCCESS), "Built " + d.imageTag() + duration,
                    summary("Image `" + d.imageTag() + "`\n\nDigest `" + d.imageDigest() + "`\n\n" + link,
                            insights, false, detailsUrl, false), log, false);
            case CANCELLED -> new CheckRunContent(GHCheckRun.Status.COMPLETED,
                    Optional.of(GHCheckRun.Conclusion.CANCELLED), "Cancelled",
                    summary(sentence(Optional.ofNullable(d.errorMessage()).orElse("cancelled")) + ". " + link,
                            insights, false, detailsUrl), log, true);
            default -> {
                String error = Optional.ofNullable(d.errorMessage()).orElse("the build failed");
                GHCheckRun.Conclusion c = error.startsWith("timed out")
                        ? GHCheckRun.Conclusion.TIMED_OUT : GHCheckRun.Conclusion.FAILURE;
                yield new CheckRunContent(GHCheckRun.Status.COMPLETED, Optional.of(c), error,
                        summary(sentence(error) + "\n\n" + link, insights, false, detailsUrl), log, true);
            }
        };
    }

    /**
     * The summary's head, then the failed step and the timings, each whole or not at all: a part
     * that would pass GitHub's limit is left out with a note, so no escape, table row or code
     * block is ever cut in two.
     */
    private static String summary(String head, CheckRunInsights insights, boolean running, String detailsUrl) {
        return summary(head, insights, running, detailsUrl, true);
    }

    /** {@code showFailedStep}: false for a build that was built (a step its retried run got past is no cause). */
    private static String summary(String head, CheckRunInsights insights, boolean running, String detailsUrl,
                                  boolean showFailedStep) {
        String note = "\n\n_The rest did not fit GitHub's size limit: see the [deployment page](" + detailsUrl + ")._";
        StringBuilder out = new StringBuilder(head);
        List<String> parts = new ArrayList<>();
        if (showFailedStep) {
            insights.failedStep().ifPresent(parts::add);
        }
        parts.add(insights.timings(running));
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            if (MarkdownText.utf8Length(out) + MarkdownText.utf8Length(part) + 2 + MarkdownText.utf8Length(note)
                    > MarkdownText.MAX_BYTES) {
                return out.append(note).toString();
            }
            out.append("\n\n").append(part);
        }
        return out.toString();
    }

    /**
     * An error sentence as Markdown text: it may quote what a build named (a step, an image), so
     * it is escaped like any hostile text. The title keeps it as it is (GitHub shows titles as
     * plain text).
     */
    private static String sentence(String error) {
        return MarkdownText.inline(error, MAX_SENTENCE);
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

    private static String cut(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** The last guard: whole lines within GitHub's byte limit (what {@link #of} builds is already within it). */
    private static String within(String s) {
        return s == null ? "" : MarkdownText.headWithin(s, MarkdownText.MAX_BYTES, "…");
    }
}
