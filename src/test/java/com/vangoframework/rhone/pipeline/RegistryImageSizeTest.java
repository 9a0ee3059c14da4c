package com.vangoframework.rhone.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the image size is read from a registry that asks for credentials. (The real local registry
 * is measured in ImagePipelineTest, on an image the pipeline built.)
 */
class RegistryImageSizeTest {

    static final String INDEX = "sha256:" + "1".repeat(64);
    static final String AMD64 = "sha256:" + "2".repeat(64);
    static final String ATTESTATION = "sha256:" + "3".repeat(64);

    private final WireMockServer registry = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());

    @BeforeEach
    void start() {
        registry.start();
    }

    @AfterEach
    void stop() {
        registry.stop();
    }

    private String host() {
        return "127.0.0.1:" + registry.port();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String manifest(long config, long... layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"size\":" + config + "},\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"size\":").append(layers[i]).append('}');
        }
        return json.append("]}").toString();
    }

    @Test
    void aTokenRegistry_withAnIndexAndAttestations_isMeasuredByItsPlatformManifest() {
        String challenge = "Bearer realm=\"http://" + host() + "/token\",service=\"reg\",scope=\"repository:acme/web:pull\"";
        registry.stubFor(get(urlPathEqualTo("/v2/acme/web/manifests/" + INDEX)).withHeader("Authorization", absent())
                .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", challenge)));
        registry.stubFor(get(urlEqualTo("/token?scope=repository%3Aacme%2Fweb%3Apull&service=reg"))
                .withHeader("Authorization", equalTo(basic("x", "fly-token")))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"token\":\"t0k\"}")));
        registry.stubFor(get(urlPathEqualTo("/v2/acme/web/manifests/" + INDEX))
                .withHeader("Authorization", equalTo("Bearer t0k"))
                .withHeader("Accept", equalTo(RegistryImageSize.ACCEPT))
                .willReturn(aResponse().withBody("{\"schemaVersion\":2,\"manifests\":["
                        + "{\"digest\":\"" + ATTESTATION + "\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
                        + "{\"digest\":\"" + AMD64 + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}")));
        registry.stubFor(get(urlPathEqualTo("/v2/acme/web/manifests/" + AMD64))
                .withHeader("Authorization", equalTo("Bearer t0k"))
                .willReturn(aResponse().withBody(manifest(1_000, 2_000, 3_000))));

        RegistryImageSize sizes = new RegistryImageSize(new RegistryAuth(host(), "x", "fly-token"), Duration.ofSeconds(5));
        assertThat(sizes.measure(host() + "/acme/web:0123456789ab", INDEX)).hasValue(6_000);
    }

    @Test
    void aBasicAuthRegistry_getsTheBuildersCredentials() {
        registry.stubFor(get(urlPathEqualTo("/v2/web/manifests/" + AMD64)).withHeader("Authorization", absent())
                .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", "Basic realm=\"registry\"")));
        registry.stubFor(get(urlPathEqualTo("/v2/web/manifests/" + AMD64))
                .withHeader("Authorization", equalTo(basic("builder", "pw")))
                .willReturn(aResponse().withBody(manifest(500, 10))));
        RegistryImageSize sizes = new RegistryImageSize(new RegistryAuth(host(), "builder", "pw"), Duration.ofSeconds(5));
        assertThat(sizes.measure(host() + "/web:abc", AMD64)).hasValue(510);
        assertThat(new RegistryImageSize(new RegistryAuth(host(), "", ""), Duration.ofSeconds(5))
                .measure(host() + "/web:abc", AMD64)).as("no credentials to offer").isEmpty();
    }

    @Test
    void aChallengeNamingAnotherHost_neverGetsTheRegistrysCredentials() {
        WireMockServer elsewhere = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        elsewhere.start();
        try {
            elsewhere.stubFor(get(urlPathEqualTo("/token"))
                    .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"token\":\"t\"}")));
            String other = "127.0.0.1:" + elsewhere.port();
            for (String realm : java.util.List.of(
                    "http://" + other + "/token", // another port, plain HTTP
                    "http://" + host() + "@" + other + "/token", // the registry's address as a user part
                    "http://" + host() + "0/token")) { // the registry's address as a prefix of another port
                registry.resetAll();
                registry.stubFor(get(urlPathEqualTo("/v2/web/manifests/" + AMD64)).willReturn(aResponse().withStatus(401)
                        .withHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"reg\"")));
                RegistryImageSize sizes = new RegistryImageSize(new RegistryAuth(host(), "x", "fly-token"),
                        Duration.ofSeconds(5));
                assertThat(sizes.measure(host() + "/web:abc", AMD64)).as(realm).isEmpty();
            }
            assertThat(elsewhere.getAllServeEvents()).as("requests that reached the other host").isEmpty();
        } finally {
            elsewhere.stop();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // guards against a hang; the measurement's own deadline is 1 s
    void aRegistryThatStallsInTheMiddleOfItsAnswer_leavesTheSizeUnknown_withinTheDeadline() {
        registry.stubFor(get(urlPathEqualTo("/v2/web/manifests/" + AMD64))
                .willReturn(aResponse().withBody(manifest(500, 10) + " ".repeat(4000)).withChunkedDribbleDelay(40, 30_000)));
        RegistryImageSize sizes = new RegistryImageSize(new RegistryAuth(host(), "", ""), Duration.ofSeconds(1));
        assertThat(sizes.measure(host() + "/web:abc", AMD64)).isEmpty();
    }

    @Test
    void sizesThatCannotBeTrue_negativeOrOverflowing_areUnknown() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(RegistryImageSize.sizeOf(json.readTree(manifest(-5, 10)))).isEmpty();
        assertThat(RegistryImageSize.sizeOf(json.readTree(manifest(1, Long.MAX_VALUE)))).isEmpty();
        assertThat(RegistryImageSize.sizeOf(json.readTree(manifest(1, 2, 3)))).hasValue(6);
    }

    @Test
    void whatTheRegistryCannotTell_isUnknown_neverAnError() {
        registry.stubFor(get(urlPathEqualTo("/v2/web/manifests/" + AMD64))
                .willReturn(aResponse().withBody("<html>not a manifest</html>")));
        registry.stubFor(get(urlPathEqualTo("/v2/partial/manifests/" + AMD64))
                .willReturn(aResponse().withBody("{\"config\":{\"size\":5},\"layers\":[{\"digest\":\"x\"}]}")));
        RegistryImageSize sizes = new RegistryImageSize(new RegistryAuth(host(), "", ""), Duration.ofSeconds(5));
        assertThat(sizes.measure(host() + "/web:abc", AMD64)).isEmpty();
        assertThat(sizes.measure(host() + "/partial:abc", AMD64)).isEmpty();
        assertThat(sizes.measure(host() + "/missing:abc", AMD64)).as("404").isEmpty();
        assertThat(sizes.measure(host() + "/web:abc", "sha256:../../etc")).as("not a digest").isEmpty();
        assertThat(sizes.measure("127.0.0.1:9/web:abc", AMD64)).as("nothing listens").isEmpty();
    }
}
