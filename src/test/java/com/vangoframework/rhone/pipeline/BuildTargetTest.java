package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import org.junit.jupiter.api.Test;

/** Which builds count as pull requests, and what they may touch. */
class BuildTargetTest {

    static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    private static App app(boolean pullRequestSecrets) {
        return new App(7, 1, "web", "acme/web", 42L, null, "main", 60, null, "approve", pullRequestSecrets);
    }

    @Test
    void branchAndManualBuilds_getEnvVars_pushToTheAppsRepository_andExportTheCache() {
        for (DeploymentTrigger trigger : new DeploymentTrigger[] {DeploymentTrigger.PUSH, DeploymentTrigger.MANUAL,
                DeploymentTrigger.RETRY, DeploymentTrigger.REREQUESTED}) {
            Deployment d = Deployments.of(trigger, null, false);
            BuildTarget t = BuildTarget.of(app(false), d);
            assertThat(t.pullRequest()).as(trigger.dbValue()).isFalse();
            assertThat(t.envVars()).isTrue();
            assertThat(t.note()).isNull();
            assertThat(t.imageTag("127.0.0.1:5000", app(false), d, SHA)).isEqualTo("127.0.0.1:5000/web:0123456789ab");
            assertThat(t.exportsCache()).isTrue();
        }
    }

    @Test
    void pullRequest_withPullRequestSecretsOff_getsNoEnvVars_andPushesToThePrRepository() {
        Deployment d = Deployments.of(DeploymentTrigger.PULL_REQUEST, 12, false);
        BuildTarget t = BuildTarget.of(app(false), d);
        assertThat(t.pullRequest()).isTrue();
        assertThat(t.envVars()).isFalse();
        assertThat(t.note()).isEqualTo("Pull request build: the app's env vars are not passed (pull_request_secrets is off)");
        assertThat(t.imageTag("127.0.0.1:5000", app(false), d, SHA)).isEqualTo("127.0.0.1:5000/web-pr:pr-12-0123456789ab");
        assertThat(t.cacheRef("127.0.0.1:5000", app(false))).isEqualTo("127.0.0.1:5000/web:buildcache");
        assertThat(t.exportsCache()).isFalse();
    }

    @Test
    void sameRepositoryPullRequest_withPullRequestSecretsOn_getsEnvVars_butStaysOutOfProduction() {
        Deployment d = Deployments.of(DeploymentTrigger.PULL_REQUEST, 12, false);
        BuildTarget t = BuildTarget.of(app(true), d);
        assertThat(t.envVars()).isTrue();
        assertThat(t.note()).isEqualTo("Pull request build: the app's env vars are passed (pull_request_secrets is on)");
        assertThat(t.imageTag("r", app(true), d, SHA)).isEqualTo("r/web-pr:pr-12-0123456789ab");
        assertThat(t.exportsCache()).isFalse();
    }

    @Test
    void forkPullRequest_neverGetsEnvVars_evenWithPullRequestSecretsOn() {
        Deployment d = Deployments.of(DeploymentTrigger.PULL_REQUEST, 3, true);
        BuildTarget t = BuildTarget.of(app(true), d);
        assertThat(t.envVars()).isFalse();
        assertThat(t.note()).contains("fork").contains("not passed");
    }

    @Test
    void retryOrRerunOfAPullRequestBuild_keepsThePullRequestRules() {
        for (DeploymentTrigger trigger : new DeploymentTrigger[] {DeploymentTrigger.RETRY, DeploymentTrigger.REREQUESTED}) {
            Deployment d = Deployments.of(trigger, 12, false);
            BuildTarget t = BuildTarget.of(app(false), d);
            assertThat(t.pullRequest()).as(trigger.dbValue()).isTrue();
            assertThat(t.envVars()).isFalse();
            assertThat(t.imageTag("r", app(false), d, SHA)).isEqualTo("r/web-pr:pr-12-0123456789ab");
        }
    }

    @Test
    void longestSlug_withPrSuffix_isAValidRepositoryName() {
        String slug = "a" + "-".repeat(61) + "b";
        App app = new App(7, 1, slug, null, null, "file:///r", "main", 60, null, "approve", false);
        String repo = BuildTarget.of(app, Deployments.of(DeploymentTrigger.PULL_REQUEST, 1, false))
                .repository("r", app).substring(2);
        // The distribution spec's path component grammar.
        assertThat(repo).matches("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*").hasSize(66);
        App trailing = new App(8, 1, "web-", null, null, "file:///r", "main", 60, null, "approve", false);
        assertThat(BuildTarget.of(trailing, Deployments.of(DeploymentTrigger.PULL_REQUEST, 1, false))
                .repository("r", trailing)).isEqualTo("r/web--pr");
        // ... and one whose pushed size can still be measured.
        assertThat(RegistryImageSize.ImageName.parse("127.0.0.1:5000/web--pr:pr-1-0123456789ab").repository())
                .isEqualTo("web--pr");
    }
}
