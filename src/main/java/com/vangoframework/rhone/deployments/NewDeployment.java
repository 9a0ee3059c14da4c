package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.db.StoredText;
import java.util.Objects;

/**
 * A request to build: everything the row starts with. The SHAs are checked here, where data enters.
 * A pull request from a fork carries its {@link Origin}: where its code came from and whether it
 * waits for a person's approval before it joins the queue. {@code beforeSha} is the commit a push
 * (or a pull request's synchronize) moved its branch from, the link {@link PushOrder} follows; null
 * for every other request and for a push that created its branch.
 */
public record NewDeployment(long appId, DeploymentTrigger trigger, String branch, String commitSha,
                            String commitMessage, String commitAuthor, Integer pullRequestNumber, Long retryOf,
                            Origin origin, String beforeSha) {

    /**
     * Where the code comes from. {@code fromFork}: a pull request whose head repository is not the
     * app's (or no longer exists); {@code headRepository}: that repository as GitHub named it;
     * {@code awaitingApproval}: recorded as {@code awaiting_approval}, not {@code pending};
     * {@code approvedBy}: who let it build ({@code github:<login>} or {@code rhone:<login>}).
     */
    public record Origin(boolean fromFork, String headRepository, boolean awaitingApproval, String approvedBy) {

        /** The app's own repository, or a person of the team: built at once. */
        public static final Origin OWN = new Origin(false, null, false, null);

        public Origin {
            headRepository = StoredText.clean(headRepository);
            approvedBy = StoredText.clean(approvedBy);
            if (awaitingApproval && (!fromFork || approvedBy != null)) {
                throw new IllegalArgumentException("only an unapproved fork's pull request waits for approval");
            }
        }

        public static Origin fork(String headRepository, boolean awaitingApproval) {
            return new Origin(true, headRepository, awaitingApproval, null);
        }

        public DeploymentStatus initialStatus() {
            return awaitingApproval ? DeploymentStatus.AWAITING_APPROVAL : DeploymentStatus.PENDING;
        }
    }

    public NewDeployment {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(origin, "origin");
        if (commitSha != null) {
            String sha = commitSha;
            commitSha = Names.exactSha(sha).orElseThrow(() ->
                    new IllegalArgumentException("commit_sha must be 40 lower-case hexadecimal characters"));
        }
        if (beforeSha != null) {
            String sha = beforeSha;
            beforeSha = Names.exactSha(sha).orElseThrow(() ->
                    new IllegalArgumentException("before_sha must be 40 lower-case hexadecimal characters"));
        }
        if (commitMessage != null && commitMessage.length() > 10_000) {
            commitMessage = commitMessage.substring(0, 10_000);
        }
        // Text from a webhook or an earlier row, stored as it came: no NUL may fail the insert.
        branch = StoredText.clean(branch);
        commitMessage = StoredText.clean(commitMessage);
        commitAuthor = StoredText.clean(commitAuthor);
        if (origin.fromFork() && pullRequestNumber == null) {
            throw new IllegalArgumentException("only a pull request comes from a fork");
        }
    }

    /** A request that moved no branch (everything but a push or a pull request's update). */
    public NewDeployment(long appId, DeploymentTrigger trigger, String branch, String commitSha,
                         String commitMessage, String commitAuthor, Integer pullRequestNumber, Long retryOf,
                         Origin origin) {
        this(appId, trigger, branch, commitSha, commitMessage, commitAuthor, pullRequestNumber, retryOf, origin, null);
    }

    /** A request of the app's own code. */
    public NewDeployment(long appId, DeploymentTrigger trigger, String branch, String commitSha,
                         String commitMessage, String commitAuthor, Integer pullRequestNumber, Long retryOf) {
        this(appId, trigger, branch, commitSha, commitMessage, commitAuthor, pullRequestNumber, retryOf, Origin.OWN);
    }

    public static NewDeployment manual(long appId, String branch, String commitSha) {
        return new NewDeployment(appId, DeploymentTrigger.MANUAL, branch, commitSha, null, null, null, null);
    }
}
