package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.codahale.metrics.health.HealthCheck;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.HtpasswdRegistry;
import com.vangoframework.rhone.testing.NeedsDocker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryHealthCheckTest {

    @TempDir
    Path dir;

    @Test
    @NeedsDocker // Debian's docker-registry, installed with the local builder
    void aRegistryDemandingAPassword_isHealthyWithTheRightOne_refusedWithAWrongOne_reachableWithNone()
            throws Exception {
        String password = "pw-" + UUID.randomUUID();
        try (HtpasswdRegistry registry = new HtpasswdRegistry(dir.resolve("registry"), "builder", password)) {
            String name = registry.name();
            HealthCheck.Result right = new RegistryHealthCheck(new RegistryAuth(name, "builder", password)).execute();
            assertThat(right.isHealthy()).as(right.getMessage()).isTrue();
            assertThat(right.getMessage()).isEqualTo("registry " + name
                    + " answers (HTTP 200, with the configured credentials)");

            String wrong = "wrong-" + UUID.randomUUID();
            HealthCheck.Result refused = new RegistryHealthCheck(new RegistryAuth(name, "builder", wrong)).execute();
            assertThat(refused.isHealthy()).isFalse();
            assertThat(refused.getMessage()).startsWith("registry " + name + " refused the configured credentials "
                    + "(HTTP 401 at http://" + name + "/v2/)").contains("RHONE_REGISTRY_USER and FLY_API_TOKEN")
                    .doesNotContain(wrong).doesNotContain(base64("builder:" + wrong));

            HealthCheck.Result none = new RegistryHealthCheck(new RegistryAuth(name, "", "")).execute();
            assertThat(none.isHealthy()).as(none.getMessage()).isTrue();
            assertThat(none.getMessage()).contains("HTTP 401").contains("none are configured");
        }
    }

    @Test
    void aTokenRegistry_isAskedWithTheConfiguredCredentials_andTheAnswerIsKeptForTheCachePeriod() throws Exception {
        WireMockServer registry = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1")
                .dynamicPort());
        registry.start();
        try {
            String name = "127.0.0.1:" + registry.port();
            String basic = "Basic " + base64("x:fly-token-value");
            registry.stubFor(get("/v2/").atPriority(2).willReturn(aResponse().withStatus(401).withHeader(
                    "WWW-Authenticate", "Bearer realm=\"http://" + name + "/token\",service=\"" + name + "\"")));
            registry.stubFor(get(urlPathEqualTo("/token")).withHeader("Authorization", equalTo(basic))
                    .willReturn(aResponse().withStatus(200).withBody("{\"token\":\"registry-token\"}")));
            registry.stubFor(get("/v2/").atPriority(1).withHeader("Authorization", equalTo("Bearer registry-token"))
                    .willReturn(aResponse().withStatus(200)));
            AtomicLong now = new AtomicLong();
            RegistryHealthCheck check = new RegistryHealthCheck(new RegistryAuth(name, "x", "fly-token-value"),
                    Duration.ofSeconds(10), now::get);

            HealthCheck.Result first = check.execute();
            assertThat(first.isHealthy()).as(first.getMessage()).isTrue();
            assertThat(first.getMessage()).contains("with the configured credentials").doesNotContain("fly-token-value")
                    .doesNotContain("registry-token");
            // The /v2/ probe asks no repository scope: it is the registry's, not an image's.
            registry.verify(1, getRequestedFor(urlPathEqualTo("/token")).withoutQueryParam("scope"));

            now.addAndGet(Duration.ofSeconds(9).toNanos());
            assertThat(check.execute().getMessage()).isEqualTo(first.getMessage());
            registry.verify(1, getRequestedFor(urlPathEqualTo("/token")));
            registry.verify(2, getRequestedFor(urlPathEqualTo("/v2/"))); // the challenge and the authorised one

            now.addAndGet(Duration.ofSeconds(1).toNanos()); // the period is over: asked again
            assertThat(check.execute().isHealthy()).isTrue();
            registry.verify(2, getRequestedFor(urlPathEqualTo("/token")));
            registry.verify(4, getRequestedFor(urlPathEqualTo("/v2/")));
        } finally {
            registry.stop();
        }
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void registryThatDoesNotAnswer_isUnhealthy_sayingWhatBuildsCannotDo() throws Exception {
        String dead = "127.0.0.1:" + ChildProcesses.freePort();
        HealthCheck.Result r = new RegistryHealthCheck(new RegistryAuth(dead, "", "")).execute();
        assertThat(r.isHealthy()).isFalse();
        assertThat(r.getMessage()).startsWith("registry " + dead + " does not answer at http://" + dead + "/v2/")
                .contains("builds cannot push");
    }

    @Test
    void aRegistryNamedWithARepositoryPath_isProbedAtItsApiRoot_200And401AreHealthy() throws Exception {
        com.github.tomakehurst.wiremock.WireMockServer registry = new com.github.tomakehurst.wiremock.WireMockServer(
                com.github.tomakehurst.wiremock.core.WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
        registry.start();
        try {
            String name = "127.0.0.1:" + registry.port() + "/rhone-images"; // as registry.fly.io/rhone-images
            for (int status : new int[] {200, 401, 404}) {
                registry.resetAll();
                registry.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/v2/")
                        .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(status)));
                HealthCheck.Result r = new RegistryHealthCheck(new RegistryAuth(name, "", "")).execute();
                assertThat(r.isHealthy()).as("HTTP " + status).isEqualTo(status != 404);
                assertThat(r.getMessage()).as("HTTP " + status).contains("HTTP " + status);
            }
        } finally {
            registry.stop();
        }
    }

    @Test
    void loopbackRegistriesSpeakHttp_othersHttps() {
        assertThat(RegistryAddress.of("127.0.0.1:5000").baseUrl()).isEqualTo("http://127.0.0.1:5000");
        assertThat(RegistryAddress.of("localhost:5000/team").baseUrl()).isEqualTo("http://localhost:5000");
        assertThat(RegistryAddress.of("[::1]:5000").baseUrl()).isEqualTo("http://[::1]:5000");
        assertThat(RegistryAddress.of("registry.fly.io/rhone-images").baseUrl()).isEqualTo("https://registry.fly.io");
        assertThat(RegistryAddress.of("127.example.com:5000").baseUrl()).isEqualTo("https://127.example.com:5000");
    }

    @Test
    void onlyTheRegistrysOwnSchemeHostAndPort_isItsOrigin() {
        RegistryAddress local = RegistryAddress.of("127.0.0.1:5000");
        assertThat(local.isOrigin(java.net.URI.create("http://127.0.0.1:5000/token"))).isTrue();
        assertThat(local.isOrigin(java.net.URI.create("https://127.0.0.1:5000/token"))).isFalse();
        assertThat(local.isOrigin(java.net.URI.create("http://127.0.0.1:50001/token"))).isFalse();
        assertThat(local.isOrigin(java.net.URI.create("http://127.0.0.1:5000@evil.example/token"))).isFalse();
        RegistryAddress fly = RegistryAddress.of("registry.fly.io/rhone-images");
        assertThat(fly.isOrigin(java.net.URI.create("https://registry.fly.io/token"))).isTrue();
        assertThat(fly.isOrigin(java.net.URI.create("https://registry.fly.io.evil.example/token"))).isFalse();
    }
}
