package com.vangoframework.rhone.github;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;
import org.kohsuke.github.connector.GitHubConnectorResponse;

/**
 * The real GitHub client, one per installation, authenticated with that installation's current
 * token. Rate limits never block a thread here: they surface as {@link RetryLater} carrying the
 * wait GitHub asked for ({@code Retry-After}, or until {@code x-ratelimit-reset}).
 */
public final class GitHubClients {

    static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private final String apiUrl;
    private final InstallationTokens tokens;
    private final Clock clock;
    private final Map<Long, GitHub> clients = new ConcurrentHashMap<>();
    /** Each call to GitHub has a deadline: the reporter holds its deployment's lock meanwhile. */
    private final DeadlineConnector connector = new DeadlineConnector(
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), CALL_DEADLINE);

    public GitHubClients(String apiUrl, InstallationTokens tokens, Clock clock) {
        this.apiUrl = apiUrl;
        this.tokens = tokens;
        this.clock = clock;
    }

    public GitHub forInstallation(long installationId) throws IOException {
        GitHub existing = clients.get(installationId);
        if (existing != null) {
            return existing;
        }
        GitHub client = new GitHubBuilder().withEndpoint(apiUrl).withConnector(connector)
                .withAuthorizationProvider(() -> "token " + tokens.token(installationId))
                .withRateLimitHandler(new GitHubRateLimitHandler() {
                    @Override
                    public void onError(GitHubConnectorResponse response) throws IOException {
                        throw new RetryLater("GitHub rate limit reached", waitFor(response));
                    }
                })
                .withAbuseLimitHandler(new GitHubAbuseLimitHandler() {
                    @Override
                    public void onError(GitHubConnectorResponse response) throws IOException {
                        throw new RetryLater("GitHub secondary rate limit", waitFor(response));
                    }
                })
                .build();
        clients.put(installationId, client);
        return client;
    }

    /** {@code Retry-After} seconds if given, else until {@code x-ratelimit-reset}, else a minute. */
    Duration waitFor(GitHubConnectorResponse response) {
        String retryAfter = response.header("Retry-After");
        if (retryAfter != null && retryAfter.trim().matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(retryAfter.trim()));
        }
        String reset = response.header("x-ratelimit-reset");
        if (reset != null && reset.trim().matches("\\d+")) {
            Duration until = Duration.between(clock.instant(), Instant.ofEpochSecond(Long.parseLong(reset.trim())));
            return until.isNegative() ? Duration.ofSeconds(1) : until.plusSeconds(1);
        }
        return Duration.ofMinutes(1);
    }
}
