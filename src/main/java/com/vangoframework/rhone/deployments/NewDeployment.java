package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.Names;
import java.util.Objects;

/** A request to build: everything the row starts with. The SHA is checked here, where data enters. */
public record NewDeployment(long appId, DeploymentTrigger trigger, String branch, String commitSha,
                            String commitMessage, String commitAuthor, Integer pullRequestNumber, Long retryOf) {

    public NewDeployment {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(branch, "branch");
        if (commitSha != null) {
            String sha = commitSha;
            commitSha = Names.normalizeSha(sha).orElseThrow(() ->
                    new IllegalArgumentException("commit_sha must be 40 hexadecimal characters, not '" + sha + "'"));
        }
        if (commitMessage != null && commitMessage.length() > 10_000) {
            commitMessage = commitMessage.substring(0, 10_000);
        }
    }

    public static NewDeployment manual(long appId, String branch, String commitSha) {
        return new NewDeployment(appId, DeploymentTrigger.MANUAL, branch, commitSha, null, null, null, null);
    }
}
