package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;

/** Why a deployment has no build log: one sentence for the page, where an empty box would say nothing. */
public final class EmptyLog {

    private EmptyLog() {
    }

    /**
     * The sentence for a deployment whose log is empty; null while lines may still come (pending,
     * awaiting approval, running).
     */
    public static String explain(Deployment d) {
        DeploymentStatus status = d.status();
        if (status == DeploymentStatus.PENDING || status == DeploymentStatus.AWAITING_APPROVAL) {
            return null;
        }
        if (status.isActive()) {
            return null;
        }
        boolean neverStarted = d.buildStartedAt() == null;
        if (status == DeploymentStatus.CANCELLED && d.supersededBy() != null) {
            return "No build log: this deployment was superseded by deployment " + d.supersededBy()
                    + " before it started.";
        }
        if (status == DeploymentStatus.CANCELLED && neverStarted) {
            return "No build log: this deployment was cancelled before it started.";
        }
        if (status == DeploymentStatus.BUILD_FAILED && neverStarted) {
            return "No build log: this deployment failed before it started"
                    + (d.errorMessage() == null ? "." : " (" + d.errorMessage() + ").");
        }
        return "No build log is stored for this deployment (build logs are kept for a limited time).";
    }
}
