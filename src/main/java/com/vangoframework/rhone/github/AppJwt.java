package com.vangoframework.rhone.github;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * The App's JSON Web Token (RS256): {@code iat} 60 s in the past against clock drift, {@code exp}
 * 9 minutes ahead (GitHub allows at most 10), {@code iss} the App id or client id.
 */
public final class AppJwt {

    static final Duration BACKDATE = Duration.ofSeconds(60);
    static final Duration LIFETIME = Duration.ofMinutes(9);

    private final String issuer;
    private final PrivateKey key;
    private final Clock clock;

    public AppJwt(String issuer, PrivateKey key, Clock clock) {
        this.issuer = issuer;
        this.key = key;
        this.clock = clock;
    }

    public String mint() {
        Instant now = clock.instant();
        String header = encode("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        String payload = encode("{\"iat\":" + now.minus(BACKDATE).getEpochSecond() + ",\"exp\":"
                + now.plus(LIFETIME).getEpochSecond() + ",\"iss\":\"" + issuer.replace("\"", "") + "\"}");
        String signingInput = header + "." + payload;
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key);
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rsa.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing the GitHub App JWT failed", e);
        }
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
