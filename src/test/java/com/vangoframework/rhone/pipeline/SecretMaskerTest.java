package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each form a secret is masked in, written by the real encoders where the JDK or Jackson has
 * them, so the test checks the masker against what a build's tools print, not against itself.
 */
class SecretMaskerTest {

    // Bytes chosen so the standard and URL-safe alphabets differ ('+' '/' against '-' '_') and
    // the encoding needs padding: 16 bytes, "==" at the end.
    private static final String SECRET = ">>>s3cr???t-keys";

    @Test
    void plainValue_everyOccurrenceIsMasked() {
        SecretMasker masker = new SecretMasker(List.of("hunter2-password"));
        assertThat(masker.apply("x hunter2-password y hunter2-password")).isEqualTo("x **** y ****");
    }

    @Test
    void lineWithoutSecrets_isReturnedAsItIs() {
        SecretMasker masker = new SecretMasker(List.of("hunter2-password"));
        String line = "Step 3/7 : RUN npm ci";
        assertThat(masker.apply(line)).isSameAs(line);
        assertThat(masker.apply(null)).isNull();
        assertThat(new SecretMasker(List.of()).apply(line)).isSameAs(line);
    }

    @Test
    void valuesShorterThanFour_areNotMasked_soLogsStayReadable() {
        SecretMasker masker = new SecretMasker(java.util.Arrays.asList("1", "on", "", null, "real-secret"));
        assertThat(masker.apply("step 1 is on: real-secret")).isEqualTo("step 1 is on: ****");
    }

    @Test
    void valuesOfFourToSevenCharacters_areMaskedAsTheyAre_butNotInTheirEncodedForms() {
        SecretMasker masker = new SecretMasker(List.of("hunter"));
        String base64 = Base64.getEncoder().encodeToString("hunter".getBytes(StandardCharsets.UTF_8));
        assertThat(masker.apply("pw=hunter b64=" + base64)).isEqualTo("pw=**** b64=" + base64);
    }

    @Test
    void base64_standardAndUrlSafe_paddedAndUnpadded_areMasked() {
        byte[] bytes = SECRET.getBytes(StandardCharsets.UTF_8);
        String standard = Base64.getEncoder().encodeToString(bytes);
        String urlSafe = Base64.getUrlEncoder().encodeToString(bytes);
        assertThat(standard).contains("+").contains("/").endsWith("==");
        assertThat(urlSafe).contains("-").contains("_");
        SecretMasker masker = new SecretMasker(List.of(SECRET));

        assertThat(masker.apply("std " + standard + " end")).isEqualTo("std **** end");
        assertThat(masker.apply("url " + urlSafe + " end")).isEqualTo("url **** end");
        assertThat(masker.apply("std " + standard.replace("=", "") + " end")).isEqualTo("std **** end");
        assertThat(masker.apply("url " + urlSafe.replace("=", "") + " end")).isEqualTo("url **** end");
    }

    @Test
    void base64_ofTheValueInsideALongerStream_isMaskedAtEachOfTheThreeAlignments() {
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        SecretMasker masker = new SecretMasker(List.of(SECRET));
        for (int before = 0; before <= 5; before++) {
            for (int after = 0; after <= 3; after++) {
                byte[] stream = new byte[before + secret.length + after];
                java.util.Arrays.fill(stream, (byte) 'Z');
                System.arraycopy(secret, 0, stream, before, secret.length);
                for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
                    String encoded = encoder.encodeToString(stream);
                    // Character i holds stream bits 6i..6i+5; the ones wholly inside the secret are hidden.
                    int first = 0;
                    while (first * 6 < before * 8) {
                        first++;
                    }
                    int end = first;
                    while (end * 6 + 6 <= (before + secret.length) * 8) {
                        end++;
                    }
                    // Aligned and last, the stream ends in the value's own encoding, padding and all.
                    String expected = encoded.substring(0, first) + "****"
                            + (before % 3 == 0 && after == 0 ? "" : encoded.substring(end));
                    assertThat(masker.apply(encoded)).as("%d bytes before, %d after", before, after)
                            .isEqualTo(expected);
                    // What is left shows at most one character at each edge that mixes in secret bits.
                    assertThat(end - first).isGreaterThanOrEqualTo(secret.length * 8 / 6 - 1);
                }
            }
        }
    }

    @Test
    void base64_inADockerConfigAuthAndABasicAuthHeader_isMasked() {
        String password = "fly-deploy-token-123";
        SecretMasker masker = new SecretMasker(List.of(password));
        String auth = Base64.getEncoder().encodeToString(("x:" + password).getBytes(StandardCharsets.UTF_8));
        String masked = masker.apply("{\"auths\":{\"registry.fly.io\":{\"auth\":\"" + auth + "\"}}}");
        assertThat(masked).contains("****").doesNotContain(auth.substring(4, auth.length() - 4));
        // "x:" puts the password two bytes into the stream: three characters before it stay, the
        // third mixing in its first four bits; after it, one character with its last four and the padding.
        assertThat(auth).isEqualTo("eDpmbHktZGVwbG95LXRva2VuLTEyMw==");
        assertThat(masker.apply("Authorization: Basic " + auth)).isEqualTo("Authorization: Basic eDp****w==");
    }

    @Test
    void urlEncoded_withPercent20OrPlus_upperOrLowerHex_andEachEncodersSafeCharacters_isMasked() {
        String value = "p@ss word/~*'(x):100%";
        SecretMasker masker = new SecretMasker(List.of(value));
        String form = URLEncoder.encode(value, StandardCharsets.UTF_8); // '+' for space, '*' kept, '~' encoded
        assertThat(form).contains("+").contains("%7E");
        String rfc3986 = form.replace("+", "%20").replace("%7E", "~").replace("*", "%2A");
        String lowerHex = java.util.regex.Pattern.compile("%[0-9A-F]{2}").matcher(rfc3986)
                .replaceAll(m -> m.group().toLowerCase(java.util.Locale.ROOT));
        String uriComponent = "p%40ss%20word%2F~*'(x)%3A100%25"; // JavaScript's encodeURIComponent
        for (String encoded : List.of(form, rfc3986, lowerHex, uriComponent)) {
            assertThat(masker.apply("postgres://u:" + encoded + "@db/x")).as(encoded).isEqualTo("postgres://u:****@db/x");
        }
    }

    @Test
    void jsonEscaped_asJacksonWritesIt_withAndWithoutEscapingNonAscii_isMasked() throws Exception {
        String value = "key \"quoted\" C:\\dir\ttab\u0001ctl é€😀/end";
        SecretMasker masker = new SecretMasker(List.of(value));
        String plain = new JsonMapper().writeValueAsString(Map.of("v", value));
        String ascii = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build()
                .writeValueAsString(Map.of("v", value));
        assertThat(plain).contains("\\\"quoted\\\"").contains("\\\\dir").contains("\\t").contains("\\u0001").contains("é");
        assertThat(ascii).contains("\\u00E9").contains("\\u20AC").contains("\\uD83D\\uDE00");
        assertThat(masker.apply(plain)).isEqualTo("{\"v\":\"****\"}");
        assertThat(masker.apply(ascii)).isEqualTo("{\"v\":\"****\"}");
        // Python's json.dumps: lower-case hex; PHP's json_encode: "\/".
        String python = ascii.replace("\\u00E9", "\\u00e9").replace("\\u20AC", "\\u20ac")
                .replace("\\uD83D\\uDE00", "\\ud83d\\ude00");
        assertThat(masker.apply(python)).isEqualTo("{\"v\":\"****\"}");
        assertThat(masker.apply(ascii.replace("/", "\\/"))).isEqualTo("{\"v\":\"****\"}");
    }

    @Test
    void multiLineValue_isMaskedWhole_andEachLineOfEightOrMoreCharacters_alsoEncoded() {
        String key = "-----BEGIN KEY-----\n  MIIEvQIBADANBgkq\nshort\n}\n-----END KEY-----\n";
        SecretMasker masker = new SecretMasker(List.of(key));
        assertThat(masker.apply("k=" + key + "!")).isEqualTo("k=****!");
        assertThat(masker.apply("MIIEvQIBADANBgkq")).isEqualTo("****");
        assertThat(masker.apply("-----END KEY-----")).isEqualTo("****");
        String lineBase64 = Base64.getEncoder().encodeToString("MIIEvQIBADANBgkq".getBytes(StandardCharsets.UTF_8));
        assertThat(masker.apply(lineBase64)).isEqualTo("****");
        // Lines under eight characters would hide ordinary words and braces everywhere.
        assertThat(masker.apply("a short line }")).isEqualTo("a short line }");
    }

    @Test
    void overlappingValues_areMaskedAsOneStretch_leavingNoPieceOfEither() {
        SecretMasker masker = new SecretMasker(List.of("abcd", "abcdefgh", "efghijkl", "zzzz"));
        assertThat(masker.apply("x abcdefghijkl y")).isEqualTo("x **** y");
        assertThat(masker.apply("x abcdefgh y abcd z")).isEqualTo("x **** y **** z");
        assertThat(masker.apply("abcdzzzz")).isEqualTo("********");
        assertThat(masker.apply("zzzzzz")).isEqualTo("****");
    }
}
