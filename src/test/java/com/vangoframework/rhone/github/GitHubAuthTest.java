package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class GitHubAuthTest {

    static final KeyPair KEYS = generate();

    static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** PKCS#1 as GitHub downloads it: the RSAPrivateKey inside Java's PKCS#8 encoding. */
    static String pkcs1Pem() {
        byte[] pkcs8 = KEYS.getPrivate().getEncoded();
        // PrivateKeyInfo: SEQUENCE { INTEGER 0, AlgorithmIdentifier (15 bytes), OCTET STRING { RSAPrivateKey } }
        int i = 4 + 3 + 15; // outer header (30 82 LL LL), version, algorithm
        if (pkcs8[i] != 0x04) {
            throw new IllegalStateException("unexpected PKCS#8 layout");
        }
        int lenBytes = pkcs8[i + 1] & 0x7f;
        return pem("RSA PRIVATE KEY", Arrays.copyOfRange(pkcs8, i + 2 + lenBytes, pkcs8.length));
    }

    @Test
    void signature_matchesGitHubsPublishedTestVector() {
        WebhookSignature sig = new WebhookSignature("It's a Secret to Everybody");
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertThat(sig.sign(body)).isEqualTo(expected);
        assertThat(sig.verify(body, expected)).isTrue();
        assertThat(sig.verify(body, expected.replace('7', '8'))).isFalse();
        assertThat(sig.verify(body, "sha1=757107ea0eb2509fc211221cce984b8a37570b6d")).isFalse();
        assertThat(sig.verify(body, null)).isFalse();
        assertThat(sig.verify("Hello, World?".getBytes(StandardCharsets.UTF_8), expected)).isFalse();
        assertThat(new WebhookSignature("").verify(body, expected)).isFalse();
    }

    @Test
    void signature_fedPieceByPieceAsABodyArrives_isGitHubsToo_andOnlyWellFormedHeadersGetABodyRead() {
        WebhookSignature sig = new WebhookSignature("It's a Secret to Everybody");
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        WebhookSignature.Digest digest = sig.begin();
        digest.update(body, 0, 5);
        digest.update(body, 5, 0);
        digest.update(body, 5, body.length - 5);
        assertThat(digest.matches(expected.toUpperCase(java.util.Locale.ROOT).replace("SHA256=", "sha256="))).isTrue();
        WebhookSignature.Digest other = sig.begin(); // each body its own, from the same keyed HMAC
        other.update(body, 0, 5);
        assertThat(other.matches(expected)).isFalse();

        assertThat(WebhookSignature.isWellFormed(expected)).isTrue();
        assertThat(WebhookSignature.isWellFormed(null)).isFalse();
        assertThat(WebhookSignature.isWellFormed("sha256=" + "0".repeat(63))).isFalse();
        assertThat(WebhookSignature.isWellFormed("sha1=757107ea0eb2509fc211221cce984b8a37570b6d")).isFalse();
        assertThat(WebhookSignature.isWellFormed("sha256=" + "g".repeat(64))).isFalse();
    }

    @Test
    void privateKey_isReadAsPkcs1AndAsPkcs8_andBothSignTheSame() throws Exception {
        var fromPkcs8 = AppPrivateKey.parse(pem("PRIVATE KEY", KEYS.getPrivate().getEncoded()));
        var fromPkcs1 = AppPrivateKey.parse(pkcs1Pem());
        assertThat(fromPkcs1.getEncoded()).isEqualTo(fromPkcs8.getEncoded());
        assertThatThrownBy(() -> AppPrivateKey.parse("not a key")).hasMessageContaining("must be PEM")
                .hasMessageNotContaining("not a key");
    }

    @Test
    void jwt_isRs256_backdated_andExpiresWithinTenMinutes() throws Exception {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        String token = new AppJwt("123456", AppPrivateKey.parse(pkcs1Pem()), Clock.fixed(now, ZoneOffset.UTC)).mint();
        String[] parts = token.split("\\.");
        ObjectMapper json = new ObjectMapper();
        JsonNode header = json.readTree(Base64.getUrlDecoder().decode(parts[0]));
        JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertThat(header.get("alg").asText()).isEqualTo("RS256");
        assertThat(claims.get("iss").asText()).isEqualTo("123456");
        assertThat(claims.get("iat").asLong()).isEqualTo(now.getEpochSecond() - 60);
        assertThat(claims.get("exp").asLong() - now.getEpochSecond()).isPositive().isLessThanOrEqualTo(600);
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initVerify(KEYS.getPublic());
        rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(rsa.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
    }
}
