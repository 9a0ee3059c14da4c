package com.vangoframework.rhone.github;

import com.codahale.metrics.health.HealthCheck;

/** The App's credentials work: a JWT is minted and GitHub's API accepts it. */
public final class GitHubHealthCheck extends HealthCheck {

    private final InstallationTokens tokens;

    public GitHubHealthCheck(InstallationTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    protected Result check() {
        try {
            return Result.healthy("signed in to GitHub as the App \"%s\"", tokens.appName());
        } catch (Exception e) {
            // The reason is GitHub's answer or a network error; neither contains the key or a token.
            return Result.unhealthy("GitHub does not accept the App's credentials: %s", e.getMessage());
        }
    }
}
