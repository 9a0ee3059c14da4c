package com.vangoframework.rhone.web;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Deploy and Retry presses per app: a bucket of N per minute, refilled smoothly. */
public final class DeployRateLimiter {

    private static final int MAX_TRACKED_APPS = 100_000;

    private final int perMinute;
    private final Map<Long, Bucket> buckets = new ConcurrentHashMap<>();

    public DeployRateLimiter(int perMinute) {
        this.perMinute = perMinute;
    }

    public int perMinute() {
        return perMinute;
    }

    /** Empty when the press may go ahead, else how long to wait. */
    public Optional<Duration> admit(long appId) {
        if (buckets.size() > MAX_TRACKED_APPS) {
            buckets.clear();
        }
        ConsumptionProbe probe = buckets.computeIfAbsent(appId, id -> Bucket.builder()
                        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))
                                .build()).build())
                .tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? Optional.empty()
                : Optional.of(Duration.ofSeconds(Math.max(1, (long) Math.ceil(probe.getNanosToWaitForRefill() / 1e9))));
    }
}
