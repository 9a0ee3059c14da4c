package com.vangoframework.rhone.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A fake api.github.com (WireMock) for the real GitHub client: the App, its installation, token
 * creation and a repository. Tests add their own stubs (check runs, failures) on {@link #server}.
 */
public final class FakeGitHub implements AutoCloseable {

    public final WireMockServer server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());

    public FakeGitHub(long installationId, String token, String repo) {
        server.start();
        String api = url();
        json(get(urlEqualTo("/app")), "{\"id\":1,\"slug\":\"rhone\",\"name\":\"rhone\",\"owner\":{\"login\":\"acme\"}}");
        json(get(urlEqualTo("/app/installations/" + installationId)), "{\"id\":" + installationId
                + ",\"account\":{\"login\":\"acme\"},\"access_tokens_url\":\"" + api + "/app/installations/"
                + installationId + "/access_tokens\",\"app_id\":1}");
        server.stubFor(post(urlEqualTo("/app/installations/" + installationId + "/access_tokens")).willReturn(aResponse()
                .withStatus(201).withHeader("Content-Type", "application/json")
                .withBody("{\"token\":\"" + token + "\",\"expires_at\":\""
                        + Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS) + "\"}")));
        String[] parts = repo.split("/");
        json(get(urlEqualTo("/repos/" + repo)), "{\"id\":77,\"name\":\"" + parts[1] + "\",\"full_name\":\"" + repo
                + "\",\"owner\":{\"login\":\"" + parts[0] + "\"},\"url\":\"" + api + "/repos/" + repo + "\"}");
    }

    /** {@code GET /users/{login}}: the login names this person's account now. */
    public void user(long id, String login, String name) {
        json(get(urlEqualTo("/users/" + login)), "{\"id\":" + id + ",\"login\":\"" + login + "\",\"type\":\"User\""
                + (name == null ? "" : ",\"name\":\"" + name + "\"") + "}");
    }

    private void json(com.github.tomakehurst.wiremock.client.MappingBuilder request, String body) {
        server.stubFor(request.willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(body)));
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
