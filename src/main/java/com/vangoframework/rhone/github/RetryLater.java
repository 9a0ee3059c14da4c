package com.vangoframework.rhone.github;

import java.io.IOException;
import java.time.Duration;

/** GitHub asked us to slow down (rate limit, secondary limit) or failed for now (5xx): try again after {@link #delay()}. */
public final class RetryLater extends IOException {

    private final Duration delay;

    public RetryLater(String reason, Duration delay) {
        super(reason + "; retrying in " + delay.toSeconds() + " s");
        this.delay = delay;
    }

    public Duration delay() {
        return delay;
    }
}
