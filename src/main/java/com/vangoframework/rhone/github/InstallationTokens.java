package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.kohsuke.github.GHApp;
import org.kohsuke.github.GHAppCreateTokenBuilder;
import org.kohsuke.github.GHAppInstallationToken;
import org.kohsuke.github.GHPermissionType;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;

/**
 * Installation access tokens, through the real GitHub client, cached and replaced five minutes
 * before GitHub's expiry (tokens live an hour). The App itself signs in with a fresh short-lived
 * JWT. The composition root hands {@link #tokenFor} to the pipeline as its clone credentials; this
 * package knows nothing of the pipeline.
 *
 * <p>A clone's token reaches a process that reads hostile code (git, and through the checkout the
 * build), so it is asked for the app's one repository with {@code contents: read} and nothing
 * else: it cannot write, open issues, or read the installation's other repositories. The
 * service's own API calls (Check Runs) use {@link #token(long)}, the installation's full token,
 * which never leaves this process.
 */
public final class InstallationTokens {

    static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private record Cached(String token, Instant expiresAt) {
    }

    /** A token's scope: the whole installation ({@code repository} null) or one repository of it. */
    private record Key(long installationId, String repository) {
    }

    /** All a clone needs. GitHub adds {@code metadata: read} to every installation token itself. */
    static final Map<String, GHPermissionType> CLONE_PERMISSIONS = Map.of("contents", GHPermissionType.READ);

    private final String apiUrl;
    private final AppJwt jwt;
    private final Clock clock;
    private final Map<Key, Cached> cache = new ConcurrentHashMap<>();

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

    /**
     * The token a clone of {@code app} presents: one for its repository with {@code contents: read}
     * only, or none for a plain git URL. Cached per installation and repository, so a token for
     * repository A is never handed to a build of repository B of the same installation.
     */
    public Optional<String> tokenFor(App app) throws IOException {
        if (!app.isGitHub()) {
            return Optional.empty();
        }
        // GitHub's API takes repository names without the owner: the installation fixes the owner.
        String name = app.githubRepo().substring(app.githubRepo().indexOf('/') + 1);
        return Optional.of(token(new Key(app.installationId(), name)));
    }

    /** The installation's own token, for the service's API calls (Check Runs); never given to a build. */
    public String token(long installationId) throws IOException {
        return token(new Key(installationId, null));
    }

    private String token(Key key) throws IOException {
        Cached cached = cache.get(key);
        if (cached != null && clock.instant().isBefore(cached.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
            return cached.token();
        }
        synchronized (this) {
            cached = cache.get(key);
            if (cached != null && clock.instant().isBefore(cached.expiresAt().minus(REFRESH_BEFORE_EXPIRY))) {
                return cached.token();
            }
            GHApp app = appClient().getApp();
            GHAppCreateTokenBuilder request = app.getInstallationById(key.installationId()).createToken();
            if (key.repository() != null) {
                request = request.repositories(List.of(key.repository())).permissions(CLONE_PERMISSIONS);
            }
            GHAppInstallationToken fresh = request.create();
            Instant expires = fresh.getExpiresAt() == null ? clock.instant().plus(Duration.ofMinutes(55))
                    : fresh.getExpiresAt().toInstant();
            cache.put(key, new Cached(fresh.getToken(), expires));
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
