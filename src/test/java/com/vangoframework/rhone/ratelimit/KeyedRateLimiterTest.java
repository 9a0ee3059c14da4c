package com.vangoframework.rhone.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeyedRateLimiterTest {

    /** A clock the test moves by hand, so refills are exact and no test sleeps. */
    private static final class ManualClock implements TimeMeter {
        long nanos;

        @Override
        public long currentTimeNanos() {
            return nanos;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }

        void advance(Duration d) {
            nanos += d.toNanos();
        }
    }

    private final ManualClock clock = new ManualClock();

    private static KeyedRateLimiter.Rate perMinute(long capacity, long refill) {
        return new KeyedRateLimiter.Rate(capacity, refill, Duration.ofMinutes(1));
    }

    @Test
    void aKey_isAdmittedUpToItsCapacity_thenToldHowLongToWait() {
        var limiter = new KeyedRateLimiter<String>(perMinute(3, 2), null, 10, clock);
        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("a")).isEmpty();
        // Two a minute: the next token is back in thirty seconds.
        assertThat(limiter.admit("a")).contains(Duration.ofSeconds(30));
        assertThat(limiter.admit("b")).isEmpty();
    }

    @Test
    void tokens_refillSmoothly_overThePeriod() {
        var limiter = new KeyedRateLimiter<String>(perMinute(2, 2), null, 10, clock);
        limiter.admit("a");
        limiter.admit("a");
        assertThat(limiter.admit("a")).isPresent();
        clock.advance(Duration.ofSeconds(29));
        assertThat(limiter.admit("a")).contains(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("a")).isPresent();
    }

    @Test
    void theSharedBucket_refusesWhenAllKeysTogetherExceedIt() {
        var limiter = new KeyedRateLimiter<String>(perMinute(5, 5), perMinute(2, 2), 10, clock);
        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("b")).isEmpty();
        assertThat(limiter.admit("c")).contains(Duration.ofSeconds(30));
    }

    @Test
    void pastMaxKeys_theLeastRecentlyUsedKeyIsForgotten_andAHotKeyKeepsItsState() {
        var limiter = new KeyedRateLimiter<String>(perMinute(1, 1), null, 2, clock);
        assertThat(limiter.admit("hot")).isEmpty();
        assertThat(limiter.admit("cold")).isEmpty();
        assertThat(limiter.admit("hot")).isPresent(); // used again: now the most recent key
        assertThat(limiter.admit("new")).isEmpty(); // a third key: "cold" is the one evicted

        assertThat(limiter.admit("hot")).as("the hot key is still limited").isPresent();
        assertThat(limiter.admit("cold")).as("the evicted key starts with a full bucket").isEmpty();
    }

    @Test
    void exhausted_takesNothing_andCharge_countsAfterTheFact() {
        var limiter = new KeyedRateLimiter<String>(perMinute(2, 2), null, 10, clock);
        assertThat(limiter.exhausted("a")).isEmpty();
        assertThat(limiter.exhausted("a")).as("looking took no token").isEmpty();
        limiter.charge("a");
        assertThat(limiter.exhausted("a")).isEmpty();
        limiter.charge("a");
        assertThat(limiter.exhausted("a")).contains(Duration.ofSeconds(30));
        limiter.charge("a"); // nothing left to take: no debt either
        clock.advance(Duration.ofSeconds(30));
        assertThat(limiter.exhausted("a")).isEmpty();
        assertThat(limiter.exhausted("b")).isEmpty();
    }

    @Test
    void lookingAtKeys_neverTracksThem_soAScanOfCleanKeysCannotEvictAChargedOne() {
        var limiter = new KeyedRateLimiter<String>(perMinute(1, 1), null, 1, clock);
        limiter.charge("bad");
        for (int i = 0; i < 100; i++) {
            assertThat(limiter.exhausted("clean-" + i)).isEmpty();
        }
        assertThat(limiter.exhausted("bad")).isPresent();
        limiter.charge("other"); // a second charged key past maxKeys: the older one goes
        assertThat(limiter.exhausted("bad")).isEmpty();
    }

    @Test
    void wholeSeconds_roundsUp_andIsAtLeastOne() {
        assertThat(KeyedRateLimiter.wholeSeconds(Duration.ofMillis(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(KeyedRateLimiter.wholeSeconds(Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
        assertThat(KeyedRateLimiter.wholeSeconds(Duration.ofMillis(2001))).isEqualTo(Duration.ofSeconds(3));
        assertThat(KeyedRateLimiter.wholeSeconds(Duration.ofSeconds(4))).isEqualTo(Duration.ofSeconds(4));
    }
}
