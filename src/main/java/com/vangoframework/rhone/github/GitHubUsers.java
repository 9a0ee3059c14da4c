package com.vangoframework.rhone.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Whose GitHub account a login names now, by {@code GET /users/{login}}: the immutable account id
 * that "Sign in with GitHub" matches people by. A login is only a name GitHub hands to someone
 * else after a rename, so the id is asked for when an administrator names the person, never
 * taken from whoever signs in with that login. Public data, asked without credentials (GitHub
 * allows 60 such requests an hour from one address), once, with a deadline: no retry, because an
 * administrator is waiting at a terminal.
 */
public final class GitHubUsers {

    /** What GitHub said about a login. */
    public sealed interface Lookup {
    }

    /** The login names this account now. */
    public record Found(GitHubOAuth.Account account) implements Lookup {
    }

    /** GitHub answered, and the login names no person: one sentence saying why. */
    public record Refused(String reason) implements Lookup {
    }

    /** GitHub could not be asked (down, slow, rate limit): one sentence saying what happened. */
    public record Unavailable(String reason) implements Lookup {
    }

    static final Duration DEADLINE = Duration.ofSeconds(10);

    private final String apiUrl;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public GitHubUsers(String apiUrl) {
        this.apiUrl = apiUrl.endsWith("/") ? apiUrl.substring(0, apiUrl.length() - 1) : apiUrl;
    }

    /** {@code login} must already be a well-formed GitHub login (letters, digits, single hyphens). */
    public Lookup byLogin(String login) throws InterruptedException {
        HttpResponse<String> answer;
        try {
            answer = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/users/"
                            + URLEncoder.encode(login, StandardCharsets.UTF_8))).timeout(DEADLINE)
                    .header("Accept", "application/vnd.github+json").header("X-GitHub-Api-Version", "2022-11-28")
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new Unavailable("GitHub did not answer (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        int status = answer.statusCode();
        if (status == 404) {
            return new Refused("GitHub has no account named '" + login + "'");
        }
        if (status == 429 || (status == 403 && "0".equals(answer.headers().firstValue("x-ratelimit-remaining")
                .orElse(null)))) {
            return new Unavailable("GitHub's rate limit for lookups from this address is used up (60 an hour)");
        }
        if (status != 200) {
            return new Unavailable("GitHub answered " + status);
        }
        return account(login, answer.body());
    }

    private Lookup account(String login, String body) {
        JsonNode user;
        try {
            user = json.readTree(body);
        } catch (IOException e) {
            return new Unavailable("GitHub's answer was not JSON");
        }
        JsonNode id = user.path("id");
        if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() <= 0 || !user.path("login").isTextual()) {
            return new Unavailable("GitHub's answer had no account id");
        }
        String type = user.path("type").isTextual() ? user.path("type").asText() : "User";
        if (!"User".equals(type)) {
            // Organizations and bots never sign in through OAuth.
            return new Refused("'" + login + "' is a GitHub " + type.toLowerCase(java.util.Locale.ROOT)
                    + ", not a person's account");
        }
        JsonNode name = user.path("name");
        return new Found(new GitHubOAuth.Account(id.asLong(), user.path("login").asText(),
                name.isTextual() ? name.asText() : null));
    }
}
