package com.vangoframework.rhone.github;

import com.vangoframework.rhone.ratelimit.KeyedRateLimiter;
import java.time.Duration;
import java.util.Optional;

/**
 * The two rate limits of the webhook endpoint, each counting only what it is meant to stop.
 *
 * <p>Per source address: refused deliveries (a missing, malformed or failing signature, a body
 * over 25 MB or too slow to arrive). An address counts only once it has been refused, and one
 * that has used up its allowance is refused before its next body is read, so junk stops costing
 * reads and HMAC work. GitHub's deliveries verify and are never counted, so junk from elsewhere
 * cannot get them refused, and looking up an address that was never refused tracks nothing.
 *
 * <p>Overall: deliveries that verified, counted after the signature and before the database. It
 * caps the work that only holders of the secret can cause (GitHub, or someone replaying what it
 * sent); junk cannot drain it, since junk never verifies. (A shared bucket for unverified
 * requests would hand any sender the power to get GitHub's deliveries refused: it cannot tell
 * them apart before reading.) A refused delivery gets 429 with {@code Retry-After}; GitHub shows
 * it as failed and the redelivery job asks for it again.
 */
public final class WebhookRateLimiter {

    private static final int MAX_TRACKED_ADDRESSES = 10_000;

    private final KeyedRateLimiter<String> refusals;
    /** One key: the bucket that every verified delivery shares. */
    private final KeyedRateLimiter<Boolean> verified;

    public WebhookRateLimiter(int refusalsPerAddressPerSecond, int verifiedPerSecond) {
        this.refusals = new KeyedRateLimiter<>(rate(refusalsPerAddressPerSecond), MAX_TRACKED_ADDRESSES);
        this.verified = new KeyedRateLimiter<>(rate(verifiedPerSecond), 1);
    }

    private static KeyedRateLimiter.Rate rate(int perSecond) {
        // A burst of two seconds' worth, refilled smoothly.
        return new KeyedRateLimiter.Rate(2L * perSecond, perSecond, Duration.ofSeconds(1));
    }

    /** Empty when the address may send a body, else how long it should wait: it was refused too often. */
    public Optional<Duration> refusing(String address) {
        return refusals.exhausted(address).map(KeyedRateLimiter::wholeSeconds);
    }

    /** Counts a refused delivery against its address. */
    public void refused(String address) {
        refusals.charge(address);
    }

    /** For a delivery whose signature verified: empty when it may proceed, else how long to wait. */
    public Optional<Duration> admitVerified() {
        return verified.admit(Boolean.TRUE).map(KeyedRateLimiter::wholeSeconds);
    }
}
