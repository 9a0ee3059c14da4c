package com.vangoframework.rhone.github;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets in front of the webhook endpoint: one per source address and one overall, checked
 * before the signature so a flood cannot buy HMAC work. A refused delivery gets 429 with
 * {@code Retry-After}; GitHub shows it as failed and the redelivery job asks for it again.
 */
public final class WebhookRateLimiter {

    private static final int MAX_TRACKED_ADDRESSES = 10_000;

    private final int perAddressPerSecond;
    private final Bucket overall;
    private final Map<String, Bucket> perAddress = new ConcurrentHashMap<>();

    public WebhookRateLimiter(int perAddressPerSecond, int overallPerSecond) {
        this.perAddressPerSecond = perAddressPerSecond;
        this.overall = bucket(overallPerSecond);
    }

    private static Bucket bucket(int perSecond) {
        // A burst of two seconds' worth, refilled smoothly.
        return Bucket.builder().addLimit(Bandwidth.builder().capacity(2L * perSecond)
                .refillGreedy(perSecond, Duration.ofSeconds(1)).build()).build();
    }

    /** Empty when the delivery may proceed, else how long the sender should wait. */
    public Optional<Duration> admit(String address) {
        if (perAddress.size() > MAX_TRACKED_ADDRESSES) {
            perAddress.clear(); // a scan of many addresses must not grow memory without bound
        }
        ConsumptionProbe mine = perAddress.computeIfAbsent(address, a -> bucket(perAddressPerSecond))
                .tryConsumeAndReturnRemaining(1);
        if (!mine.isConsumed()) {
            return Optional.of(wait(mine));
        }
        ConsumptionProbe all = overall.tryConsumeAndReturnRemaining(1);
        return all.isConsumed() ? Optional.empty() : Optional.of(wait(all));
    }

    private static Duration wait(ConsumptionProbe probe) {
        return Duration.ofSeconds(Math.max(1, (long) Math.ceil(probe.getNanosToWaitForRefill() / 1e9)));
    }
}
