package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.kohsuke.github.GHApp;
import org.kohsuke.github.GHAppInstallationToken;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;

/**
 * Installation access tokens for clones, through the real GitHub client. Cached per installation
 * and replaced five minutes before GitHub's expiry (tokens live an hour). The App itself signs in
 * with a fresh short-lived JWT. The composition root hands {@link #tokenFor} to the pipeline as its
 * clone credentials; this package knows nothing of the pipeline.
 */
public final class InstallationTokens {

    static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private record Cached(String token, Instant expiresAt) {
    }

    private final String apiUrl;
    private final AppJwt jwt;
    private final Clock clock;
    private final Map<Long, Cached> cache = new ConcurrentHashMap<>();

    public InstallationTokens(String apiUrl, AppJwt jwt, Clock clock) {
        this.apiUrl = apiUrl;
        this.jwt = jwt;
        this.clock = clock;
    }

    /** A client that signs in as the App; a build thread must not wait out a rate limit, so it fails fast. */
    GitHub appClient() throws IOException {
        return new GitHubBuilder().withEndpoint(apiUrl)
                .withAuthorizationProvider(() -> "Bearer " + jwt.mint())
                .withRateLimitHandler(GitHubRateLimitHandler.FAIL)
                .withAbuseLimitHandler(GitHubAbuseLimitHandler.FAIL)
                .build();
    }

    /** The token a clone of {@code app} presents: its installation's, or none for a plain git URL. */
    public Optional<String> tokenFor(App app) throws IOException {
        if (!app.isGitHub()) {
            return Optional.empty();
        }
        return Optional.of(token(app.installationId()));
    }

    public String token(long installationId) throws IOException {
        Cached cached = cache.get(installationId);
        if (cached != null && clock.instant().isBefore(cached.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
            return cached.token();
        }
        synchronized (this) {
            cached = cache.get(installationId);
            if (cached != null && clock.instant().isBefore(cached.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
                return cached.token();
            }
            GHApp app = appClient().getApp();
            GHAppInstallationToken fresh = app.getInstallationById(installationId).createToken().create();
            Instant expires = fresh.getExpiresAt() == null ? clock.instant().plus(Duration.ofMinutes(55))
                    : fresh.getExpiresAt().toInstant();
            cache.put(installationId, new Cached(fresh.getToken(), expires));
            return fresh.getToken();
        }
    }

    /** The App's own credentials, for calls made as the App (delivery list, redelivery). */
    public AppJwt jwt() {
        return jwt;
    }

    /** For the health check: the App can sign in (its JWT is accepted). */
    public String appName() throws IOException {
        return appClient().getApp().getName();
    }
}
