package com.vangoframework.rhone.web;

import com.vangoframework.rhone.ratelimit.KeyedRateLimiter;
import java.time.Duration;
import java.util.Optional;

/**
 * Requests for new deployments (Deploy and Retry) at a person's pace: a bucket of N per minute per
 * key, refilled smoothly. The dashboard keys it by app (every viewer of an app shares it), the API
 * by token and app ({@link TokenApp}), so a script's loop slows down without holding back the
 * people pressing Deploy on the same app.
 */
public final class DeployRateLimiter<K> {

    private static final int MAX_TRACKED_KEYS = 100_000;

    /** The API's key: one token's requests for one app. */
    public record TokenApp(long tokenId, long appId) {
    }

    private final int perMinute;
    private final KeyedRateLimiter<K> limiter;

    public DeployRateLimiter(int perMinute) {
        this.perMinute = perMinute;
        this.limiter = new KeyedRateLimiter<>(new KeyedRateLimiter.Rate(perMinute, perMinute, Duration.ofMinutes(1)),
                MAX_TRACKED_KEYS);
    }

    public int perMinute() {
        return perMinute;
    }

    /** Empty when the request may go ahead, else how long to wait (whole seconds, for Retry-After). */
    public Optional<Duration> admit(K key) {
        return limiter.admit(key).map(KeyedRateLimiter::wholeSeconds);
    }
}
