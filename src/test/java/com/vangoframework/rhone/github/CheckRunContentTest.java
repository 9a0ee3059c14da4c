package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.kohsuke.github.GHCheckRun;

class CheckRunContentTest {

    private static final App APP = new App(1, 1, "web", "acme/web", 42L, null, "main", 1800, null, "approve", false);

    private static Deployment deployment(DeploymentStatus status, String error) {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        return new Deployment(7, 1, status, DeploymentTrigger.PUSH, "main", "a".repeat(40), "msg", "Ada", null, null,
                "127.0.0.1:5000/web:aaaaaaaaaaaa", "sha256:" + "b".repeat(64), error, 1, null, null, null, null, 555L,
                now, now, now, now.plusSeconds(42), 42_000L, null, false, null, null, null);
    }

    @Test
    void hugeLogs_areCutToTheTailWithinGitHubsLimit() {
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            log.append("line ").append(i).append('\n');
        }
        CheckRunContent c = CheckRunContent.of(deployment(DeploymentStatus.BUILT, null), APP, "https://x/d/7",
                log.toString());
        assertThat(c.text().length()).isLessThanOrEqualTo(65_535);
        assertThat(c.text()).contains("line 19999").doesNotContain("line 0\n");
        assertThat(c.status()).isEqualTo(GHCheckRun.Status.COMPLETED);
        assertThat(c.conclusion()).contains(GHCheckRun.Conclusion.SUCCESS);
        assertThat(c.title()).isEqualTo("Built 127.0.0.1:5000/web:aaaaaaaaaaaa in 42.0 s");
    }

    @Test
    void failuresAndTimeoutsAndCancels_getTheirConclusion_andARebuildAction() {
        CheckRunContent failed = CheckRunContent.of(deployment(DeploymentStatus.BUILD_FAILED,
                "the image build failed: exit code: 2"), APP, "u", "");
        assertThat(failed.conclusion()).contains(GHCheckRun.Conclusion.FAILURE);
        assertThat(failed.title()).isEqualTo("the image build failed: exit code: 2");
        assertThat(failed.rebuildAction()).isTrue();
        assertThat(CheckRunContent.of(deployment(DeploymentStatus.BUILD_FAILED, "timed out after 30 minutes: x"),
                APP, "u", "").conclusion()).contains(GHCheckRun.Conclusion.TIMED_OUT);
        assertThat(CheckRunContent.of(deployment(DeploymentStatus.CANCELLED, "cancelled"), APP, "u", "")
                .conclusion()).contains(GHCheckRun.Conclusion.CANCELLED);
        CheckRunContent running = CheckRunContent.of(deployment(DeploymentStatus.BUILDING, null), APP, "u", "");
        assertThat(running.status()).isEqualTo(GHCheckRun.Status.IN_PROGRESS);
        assertThat(running.title()).isEqualTo("Building web");
        assertThat(running.rebuildAction()).isFalse();
    }

    @Test
    void anErrorSentenceQuotingAHostileStepName_isPlainTextInTheSummary_andAsItIsInTheTitle() {
        String error = "step [x](javascript:alert(1)) @octocat <b>| a | b |</b> failed with exit code 2";
        CheckRunContent c = CheckRunContent.of(deployment(DeploymentStatus.BUILD_FAILED, error), APP, "u", "");
        assertThat(c.title()).isEqualTo(error);
        assertThat(c.summary()).startsWith("step \\[x\\](javascript:alert(1)) @\u200Doctocat &lt;b&gt;\\| a \\| b "
                + "\\|&lt;/b&gt; failed with exit code 2\n\n[Build log](u)");
    }

    @Test
    void aCompletedRunWithoutConclusion_isRefused() {
        assertThatThrownBy(() -> new CheckRunContent(GHCheckRun.Status.COMPLETED, Optional.empty(), "t", "s", "", false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aForkWaitingForApproval_isCompletedActionRequired_withTheApproveActionAndItsReason() {
        Deployment d = deployment(DeploymentStatus.AWAITING_APPROVAL, null);
        Deployment fork = new Deployment(d.id(), d.appId(), d.status(), DeploymentTrigger.PULL_REQUEST, "main",
                d.commitSha(), d.commitMessage(), "stranger", 12, null, null, null, null, 0, null, null, null, null,
                null, d.createdAt(), d.updatedAt(), null, null, null, null, true, "stranger/web", null, null);
        CheckRunContent c = CheckRunContent.of(fork, APP, "https://rhone.example/apps/web/deployments/7",
                "a log line that must not show");
        assertThat(c.status()).isEqualTo(GHCheckRun.Status.COMPLETED);
        assertThat(c.conclusion()).contains(GHCheckRun.Conclusion.ACTION_REQUIRED);
        assertThat(c.title()).isEqualTo("Waiting for approval: pull request from the fork stranger/web");
        assertThat(c.summary()).contains("Approve and build").contains("(https://rhone.example/apps/web/deployments/7)")
                .contains("without the app's env vars");
        assertThat(c.approveAction()).isTrue();
        assertThat(c.rebuildAction()).isFalse();
        assertThat(c.text()).isEmpty();

        Deployment gone = new Deployment(d.id(), d.appId(), d.status(), DeploymentTrigger.PULL_REQUEST, "main",
                d.commitSha(), null, null, 12, null, null, null, null, 0, null, null, null, null, null,
                d.createdAt(), d.updatedAt(), null, null, null, null, true, null, null, null);
        assertThat(CheckRunContent.of(gone, APP, "u", "").title())
                .isEqualTo("Waiting for approval: pull request from a fork that no longer exists");
    }

    @Test
    void aLogWithBacktickLines_cannotCloseItsCodeBlock() {
        String log = "step 1\n```\n[click me](https://evil.example) @everyone\n`````\nlast\n";
        CheckRunContent c = CheckRunContent.of(deployment(DeploymentStatus.BUILD_FAILED, "failed"), APP, "u", log);
        assertThat(c.text()).startsWith("``````\nstep 1\n").endsWith("last\n``````\n");
        // Inside the block no line is a fence as long as the block's own.
        String inner = c.text().substring(7, c.text().length() - 7);
        assertThat(inner.lines()).noneMatch(l -> l.startsWith("``````"));
        assertThat(MarkdownText.codeBlock("plain\n")).isEqualTo("```\nplain\n```\n");
    }
}
