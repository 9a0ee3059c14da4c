package com.vangoframework.rhone.deployments;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * A client's name for one deployment request ({@code Idempotency-Key}), scoped to its team and
 * app, with the SHA-256 of what it asked for. A retry under the same key with the same request is
 * answered with the first request's deployment; the same key with another request is refused.
 * The key is checked here, where it enters: 1 to 255 printable ASCII characters.
 */
public record IdempotencyKey(long teamId, long appId, String value, byte[] requestSha256) {

    public static final int MAX_LENGTH = 255;
    /** How long a key counts; older ones are ignored, purged and free again. */
    public static final Duration LIFETIME = Duration.ofHours(24);

    public IdempotencyKey {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("Idempotency-Key must be 1 to " + MAX_LENGTH + " characters long");
        }
        if (!value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            throw new IllegalArgumentException("Idempotency-Key may contain only printable ASCII characters "
                    + "(no control characters, no non-ASCII letters): a UUID makes a good key");
        }
        if (requestSha256 == null || requestSha256.length != 32) {
            throw new IllegalArgumentException("the request hash must be a SHA-256");
        }
    }

    /**
     * The key of a request through rhone (the API's deploy): what the client chose is the app and
     * the commit (none: the branch head); the branch is the app's, whatever it is by the retry.
     */
    public static IdempotencyKey of(long teamId, NewDeployment request, String value) {
        String parameters = request.trigger().dbValue() + "\n"
                + (request.commitSha() == null ? "" : request.commitSha());
        return new IdempotencyKey(teamId, request.appId(), value, sha256(parameters));
    }

    boolean sameRequestAs(byte[] otherSha256) {
        return MessageDigest.isEqual(requestSha256, otherSha256);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
