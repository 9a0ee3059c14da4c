package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentTrigger;

/**
 * What a build may touch. A pull request's build (its trigger, or a pull-request number that a
 * retry or a re-run keeps) is code nobody has merged: it gets no env vars unless the app opts in
 * ({@code pull_request_secrets}) and the pull request is not from a fork, pushes to the separate
 * repository {@code <registry>/<app>-pr} under {@code pr-<number>-<sha12>}, and may read the app's
 * build cache but never writes it. Every other build pushes {@code <registry>/<app>:<sha12>}.
 */
record BuildTarget(boolean pullRequest, boolean envVars, String note) {

    static BuildTarget of(App app, Deployment d) {
        boolean pullRequest = d.trigger() == DeploymentTrigger.PULL_REQUEST || d.pullRequestNumber() != null;
        if (!pullRequest) {
            return new BuildTarget(false, true, null);
        }
        if (d.fromFork()) {
            return new BuildTarget(true, false,
                    "Pull request build from a fork: the app's env vars are not passed (never to forks)");
        }
        if (!app.pullRequestSecrets()) {
            return new BuildTarget(true, false,
                    "Pull request build: the app's env vars are not passed (pull_request_secrets is off)");
        }
        return new BuildTarget(true, true,
                "Pull request build: the app's env vars are passed (pull_request_secrets is on)");
    }

    /** The image repository: the app's own, or its separate pull-request repository. */
    String repository(String registry, App app) {
        // Slugs are at most 63 characters of [a-z0-9-]: "<slug>-pr" is a valid repository name
        // (it also mends a slug ending in '-', which alone is not one).
        return registry + "/" + app.slug() + (pullRequest ? "-pr" : "");
    }

    String imageTag(String registry, App app, Deployment d, String sha) {
        String sha12 = sha.substring(0, 12);
        if (!pullRequest) {
            return repository(registry, app) + ":" + sha12;
        }
        return repository(registry, app) + ":pr-" + (d.pullRequestNumber() == null ? "" : d.pullRequestNumber() + "-")
                + sha12;
    }

    /** The app's build cache: always the app's repository, so a pull request can read it. */
    String cacheRef(String registry, App app) {
        return registry + "/" + app.slug() + ":buildcache";
    }

    boolean exportsCache() {
        return !pullRequest;
    }
}
