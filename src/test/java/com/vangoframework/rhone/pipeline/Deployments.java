package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import java.time.Instant;

/** Deployment rows in memory, for the rules that read only a few of their fields. */
final class Deployments {

    private Deployments() {
    }

    static Deployment of(DeploymentTrigger trigger, Integer pullRequestNumber, boolean fromFork) {
        Instant now = Instant.now();
        return new Deployment(1, 7, DeploymentStatus.CLONING, trigger, "main", null, null, null, pullRequestNumber,
                null, null, null, null, 1, "node", now, null, null, null, now, now, now, null, null, null, fromFork,
                fromFork ? "stranger/web" : null, null, null);
    }
}
