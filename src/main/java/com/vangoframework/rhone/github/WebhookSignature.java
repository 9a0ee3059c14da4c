package com.vangoframework.rhone.github;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * GitHub's {@code X-Hub-Signature-256}: {@code sha256=} and the hex HMAC-SHA256 of the raw body
 * under the webhook secret. Computed on the bytes as they arrive ({@link #begin}), compared in
 * constant time, before anything parses them.
 */
public final class WebhookSignature {

    private static final String PREFIX = "sha256=";
    private static final Pattern FORM = Pattern.compile("sha256=[0-9a-fA-F]{64}");

    private final byte[] secret;
    /** Keyed once; each body gets a copy, which skips the provider lookup and key setup. */
    private final Mac keyed;

    public WebhookSignature(String secret) {
        this.secret = secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8);
        this.keyed = this.secret.length == 0 ? null : newMac(this.secret);
    }

    /** Without a configured secret nothing verifies: an endpoint anyone could feed is worse than none. */
    public boolean isConfigured() {
        return secret.length > 0;
    }

    /** Whether a header could be a signature at all; one that cannot is refused before its body is read. */
    public static boolean isWellFormed(String header) {
        return header != null && FORM.matcher(header.trim()).matches();
    }

    /** A signature of a body fed to it piece by piece, as it is read. */
    public Digest begin() {
        if (!isConfigured()) {
            throw new IllegalStateException("no webhook secret is configured");
        }
        try {
            return new Digest((Mac) keyed.clone());
        } catch (CloneNotSupportedException e) {
            return new Digest(newMac(secret));
        }
    }

    public String sign(byte[] body) {
        Digest digest = begin();
        digest.update(body, 0, body.length);
        return digest.signature();
    }

    public boolean verify(byte[] body, String header) {
        if (!isConfigured()) {
            return false;
        }
        Digest digest = begin();
        digest.update(body, 0, body.length);
        return digest.matches(header);
    }

    /** The HMAC of one body in the making; not thread-safe (one body is read by one party at a time). */
    public static final class Digest {
        private final Mac mac;

        private Digest(Mac mac) {
            this.mac = mac;
        }

        public void update(byte[] bytes, int offset, int length) {
            mac.update(bytes, offset, length);
        }

        /** The header value for what was fed; ends this digest. */
        public String signature() {
            return PREFIX + HexFormat.of().formatHex(mac.doFinal());
        }

        /** Whether {@code header} is the signature of what was fed, compared in constant time; ends this digest. */
        public boolean matches(String header) {
            if (header == null || !header.startsWith(PREFIX)) {
                return false;
            }
            byte[] expected = signature().getBytes(StandardCharsets.US_ASCII);
            byte[] given = header.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(expected, given);
        }
    }

    private static Mac newMac(byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", e);
        }
    }
}
