package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.testing.FakeGitHub;
import java.time.Clock;
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
    void unknownInstallation_fails() throws Exception {
        try (FakeGitHub github = new FakeGitHub(42, "t", "acme/web")) {
            InstallationTokens tokens = new InstallationTokens(github.url(),
                    new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
            assertThatThrownBy(() -> tokens.token(99)).isInstanceOf(java.io.IOException.class);
        }
    }
}
