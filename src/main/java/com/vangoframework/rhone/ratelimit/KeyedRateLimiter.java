package com.vangoframework.rhone.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A token bucket per key, optionally behind one bucket shared by all keys. At most
 * {@code maxKeys} buckets are kept; past that the least recently used key is forgotten, so a scan
 * over many keys costs bounded memory while a key in steady use keeps its state (clearing all of
 * them instead would hand a busy sender a fresh burst).
 *
 * <p>The buckets sit in a {@link LinkedHashMap} in access order behind its own lock: eviction is
 * exact and immediate (a cache such as Caffeine evicts later, by frequency, not recency), and the
 * lock covers only the lookup; tokens are taken outside it, Bucket4j's buckets being thread-safe.
 */
public final class KeyedRateLimiter<K> {

    /** At most {@code capacity} tokens, refilled smoothly at {@code refill} per {@code period}. */
    public record Rate(long capacity, long refill, Duration period) {
        public Rate {
            if (capacity <= 0 || refill <= 0 || period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("a rate needs a positive capacity, refill and period");
            }
        }

        Bucket bucket(TimeMeter clock) {
            return Bucket.builder().withCustomTimePrecision(clock)
                    .addLimit(Bandwidth.builder().capacity(capacity).refillGreedy(refill, period).build())
                    .build();
        }
    }

    private final Rate perKey;
    private final Bucket overall;
    private final TimeMeter clock;
    private final Map<K, Bucket> buckets;

    /** Buckets per key only. */
    public KeyedRateLimiter(Rate perKey, int maxKeys) {
        this(perKey, null, maxKeys, TimeMeter.SYSTEM_MILLISECONDS);
    }

    /** A key's bucket is asked first, then the one shared by all keys. */
    public KeyedRateLimiter(Rate perKey, Rate overall, int maxKeys) {
        this(perKey, overall, maxKeys, TimeMeter.SYSTEM_MILLISECONDS);
    }

    KeyedRateLimiter(Rate perKey, Rate overall, int maxKeys, TimeMeter clock) {
        if (maxKeys <= 0) {
            throw new IllegalArgumentException("maxKeys must be positive");
        }
        this.perKey = perKey;
        this.overall = overall == null ? null : overall.bucket(clock);
        this.clock = clock;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Bucket> eldest) {
                return size() > maxKeys;
            }
        };
    }

    /**
     * Takes one token from the key's bucket, then from the shared one. Empty when the request may
     * proceed, else how long until a token is back. A key's token stays spent when the shared
     * bucket refuses.
     */
    public Optional<Duration> admit(K key) {
        ConsumptionProbe mine = bucketOf(key).tryConsumeAndReturnRemaining(1);
        if (!mine.isConsumed()) {
            return Optional.of(Duration.ofNanos(mine.getNanosToWaitForRefill()));
        }
        if (overall == null) {
            return Optional.empty();
        }
        ConsumptionProbe all = overall.tryConsumeAndReturnRemaining(1);
        return all.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(all.getNanosToWaitForRefill()));
    }

    /**
     * How long until the key has a token again, when it has none; takes nothing, and a key not
     * seen before (or forgotten) gets no bucket. With {@link #charge} it counts events that are
     * known only afterwards (a delivery whose signature failed) and refuses a key that has run out
     * before the next one costs anything.
     */
    public Optional<Duration> exhausted(K key) {
        Bucket bucket;
        synchronized (buckets) {
            bucket = buckets.get(key);
        }
        if (bucket == null) {
            return Optional.empty();
        }
        EstimationProbe probe = bucket.estimateAbilityToConsume(1);
        return probe.canBeConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
    }

    /** Takes a token from the key's bucket if one is left (the shared bucket is not touched). */
    public void charge(K key) {
        bucketOf(key).tryConsume(1);
    }

    /** A wait as a {@code Retry-After} header carries it: whole seconds, rounded up, at least one. */
    public static Duration wholeSeconds(Duration wait) {
        return Duration.ofSeconds(Math.max(1, (long) Math.ceil(wait.toNanos() / 1e9)));
    }

    private Bucket bucketOf(K key) {
        synchronized (buckets) {
            return buckets.computeIfAbsent(key, k -> perKey.bucket(clock));
        }
    }
}
