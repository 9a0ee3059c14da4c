package com.vangoframework.rhone.web;

import com.vangoframework.rhone.ratelimit.KeyedRateLimiter;
import java.time.Duration;
import java.util.Optional;

/** Deploy and Retry presses per app: a bucket of N per minute, refilled smoothly. */
public final class DeployRateLimiter {

    private static final int MAX_TRACKED_APPS = 100_000;

    private final int perMinute;
    private final KeyedRateLimiter<Long> limiter;

    public DeployRateLimiter(int perMinute) {
        this.perMinute = perMinute;
        this.limiter = new KeyedRateLimiter<>(new KeyedRateLimiter.Rate(perMinute, perMinute, Duration.ofMinutes(1)),
                MAX_TRACKED_APPS);
    }

    public int perMinute() {
        return perMinute;
    }

    /** Empty when the press may go ahead, else how long to wait. */
    public Optional<Duration> admit(long appId) {
        return limiter.admit(appId).map(KeyedRateLimiter::wholeSeconds);
    }
}
