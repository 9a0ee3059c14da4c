package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.testing.FakeGitHub;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Installation tokens from a fake GitHub, through the real client. */
class InstallationTokensTest {

    @Test
    void tokenIsFetchedWithTheAppJwt_andCachedUntilNearItsExpiry() throws Exception {
        try (FakeGitHub github = new FakeGitHub(42, "ghs_fresh_token_1", "acme/web")) {
            InstallationTokens tokens = new InstallationTokens(github.url(),
                    new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
            App app = new App(1, 1, "web", "acme/web", 42L, null, "main", 60, null, "approve", false);
            assertThat(tokens.tokenFor(app)).contains("ghs_fresh_token_1");
            assertThat(tokens.tokenFor(app)).contains("ghs_fresh_token_1");
            github.server.verify(1, postRequestedFor(urlEqualTo("/app/installations/42/access_tokens"))
                    .withHeader("Authorization", matching("Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+")));
            App plain = new App(2, 1, "docs", null, null, "https://git.example.test/docs.git", "main", 60, null, "approve", false);
            assertThat(tokens.tokenFor(plain)).isEqualTo(Optional.empty());
        }
    }

    @Test
    void cloneToken_isRequestedForTheAppsOneRepository_withContentsReadOnly_andCachedPerRepository()
            throws Exception {
        try (FakeGitHub github = new FakeGitHub(42, "ghs_scoped", "acme/web")) {
            InstallationTokens tokens = new InstallationTokens(github.url(),
                    new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
            App web = new App(1, 1, "web", "acme/web", 42L, null, "main", 60, null, "approve", false);
            App docs = new App(2, 1, "docs", "acme/docs", 42L, null, "main", 60, null, "approve", false);
            tokens.tokenFor(web);
            tokens.tokenFor(web);
            tokens.tokenFor(docs); // same installation, other repository: a token of its own

            var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            List<com.fasterxml.jackson.databind.JsonNode> bodies = new java.util.ArrayList<>();
            for (var request : github.server.findAll(postRequestedFor(urlEqualTo("/app/installations/42/access_tokens")))) {
                bodies.add(mapper.readTree(request.getBodyAsString()));
            }
            assertThat(bodies).hasSize(2);
            assertThat(bodies.get(0)).isEqualTo(mapper.readTree(
                    "{\"repositories\":[\"web\"],\"permissions\":{\"contents\":\"read\"}}"));
            assertThat(bodies.get(1)).isEqualTo(mapper.readTree(
                    "{\"repositories\":[\"docs\"],\"permissions\":{\"contents\":\"read\"}}"));

            // The service's own API token (Check Runs) is the installation's, and cached apart.
            tokens.token(42);
            assertThat(github.server.findAll(postRequestedFor(urlEqualTo("/app/installations/42/access_tokens"))))
                    .hasSize(3);
        }
    }

    @Test
    void unknownInstallation_fails() throws Exception {
        try (FakeGitHub github = new FakeGitHub(42, "t", "acme/web")) {
            InstallationTokens tokens = new InstallationTokens(github.url(),
                    new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
            assertThatThrownBy(() -> tokens.token(99)).isInstanceOf(java.io.IOException.class);
        }
    }
}
