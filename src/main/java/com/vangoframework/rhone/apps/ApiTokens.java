package com.vangoframework.rhone.apps;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * API tokens: {@code rhn_} followed by 256 random bits. Only the SHA-256 is stored; a token has
 * enough entropy that a slow password hash would add nothing, and lookup by hash means no
 * secret-dependent string comparison happens at all.
 */
public final class ApiTokens {

    public static final String PREFIX = "rhn_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiTokens() {
    }

    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Cheap shape check so garbage never reaches the database. */
    public static boolean looksLikeToken(String token) {
        return token != null && token.startsWith(PREFIX) && token.length() == PREFIX.length() + 43
                && token.substring(PREFIX.length()).chars().allMatch(c ->
                        Character.isLetterOrDigit(c) || c == '-' || c == '_');
    }
}
