package com.vangoframework.rhone.github;

import com.vangoframework.rhone.ratelimit.KeyedRateLimiter;
import java.time.Duration;
import java.util.Optional;

/**
 * Token buckets in front of the webhook endpoint: one per source address and one overall, checked
 * before the signature so a flood cannot buy HMAC work. A refused delivery gets 429 with
 * {@code Retry-After}; GitHub shows it as failed and the redelivery job asks for it again.
 */
public final class WebhookRateLimiter {

    private static final int MAX_TRACKED_ADDRESSES = 10_000;

    private final KeyedRateLimiter<String> limiter;

    public WebhookRateLimiter(int perAddressPerSecond, int overallPerSecond) {
        this.limiter = new KeyedRateLimiter<>(rate(perAddressPerSecond), rate(overallPerSecond),
                MAX_TRACKED_ADDRESSES);
    }

    private static KeyedRateLimiter.Rate rate(int perSecond) {
        // A burst of two seconds' worth, refilled smoothly.
        return new KeyedRateLimiter.Rate(2L * perSecond, perSecond, Duration.ofSeconds(1));
    }

    /** Empty when the delivery may proceed, else how long the sender should wait. */
    public Optional<Duration> admit(String address) {
        return limiter.admit(address).map(KeyedRateLimiter::wholeSeconds);
    }
}
