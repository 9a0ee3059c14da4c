package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import com.vangoframework.rhone.testing.ChildProcesses;
import org.junit.jupiter.api.Test;

class RegistryHealthCheckTest {

    @Test
    void registryThatDoesNotAnswer_isUnhealthy_sayingWhatBuildsCannotDo() throws Exception {
        String dead = "127.0.0.1:" + ChildProcesses.freePort();
        HealthCheck.Result r = new RegistryHealthCheck(dead).execute();
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
                HealthCheck.Result r = new RegistryHealthCheck(name).execute();
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
