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
import org.kohsuke.github.GHMyself;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;

/**
 * "Sign in with GitHub" on GitHub's side: the App's OAuth web flow (where to send the browser,
 * and the exchange of the code it comes back with for a user token) and whose account that token
 * is. Which Rhone user that account signs in is the sessions' decision, not this class's.
 */
public final class GitHubOAuth {

    /** A GitHub account as {@code GET /user} describes it; {@code name} may be null. */
    public record Account(long id, String login, String name) {
    }

    private final String gitHubUrl;
    private final String apiUrl;
    private final String clientId;
    private final String clientSecret;
    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** {@code gitHubUrl}: the web host (authorize, token exchange); {@code apiUrl}: the REST API. */
    public GitHubOAuth(String gitHubUrl, String apiUrl, String clientId, String clientSecret, ObjectMapper json) {
        this.gitHubUrl = gitHubUrl;
        this.apiUrl = apiUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.json = json;
    }

    /** Where the browser asks the person to authorize; GitHub sends it back to {@code callback}. */
    public String authorizeUrl(String state, String callback) {
        return gitHubUrl + "/login/oauth/authorize?client_id=" + enc(clientId) + "&redirect_uri=" + enc(callback)
                + "&state=" + enc(state);
    }

    /** The account that authorized: the code is exchanged for a user token, which is then asked who it is. */
    public Account account(String code, String callback) throws IOException, InterruptedException {
        GHMyself me = new GitHubBuilder().withEndpoint(apiUrl).withOAuthToken(exchange(code, callback))
                .withConnector(new DeadlineConnector(http, Duration.ofSeconds(15)))
                // A person is waiting on the page: a rate limit fails the sign-in instead of sleeping.
                .withRateLimitHandler(GitHubRateLimitHandler.FAIL)
                .withAbuseLimitHandler(GitHubAbuseLimitHandler.FAIL)
                .build().getMyself();
        return new Account(me.getId(), me.getLogin(), me.getName());
    }

    private String exchange(String code, String callback) throws IOException, InterruptedException {
        String form = "client_id=" + enc(clientId) + "&client_secret=" + enc(clientSecret) + "&code=" + enc(code)
                + "&redirect_uri=" + enc(callback);
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(gitHubUrl
                        + "/login/oauth/access_token")).timeout(Duration.ofSeconds(15))
                .header("Accept", "application/json").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = json.readTree(answer.body());
        if (answer.statusCode() != 200 || !body.path("access_token").isTextual()) {
            // GitHub's error fields say what went wrong and carry no secret.
            throw new IOException("token exchange answered " + answer.statusCode() + " "
                    + body.path("error").asText("") + " " + body.path("error_description").asText(""));
        }
        return body.path("access_token").asText();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
