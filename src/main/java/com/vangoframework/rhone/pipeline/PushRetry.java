package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.logs.BuildLog;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How often a push that failed for now ({@link PushFailures.Kind#TRANSIENT}) is tried again, and
 * the waits between: {@code firstDelay}, then twice as long each time (at most {@link #MAX_DELAY}).
 * Each retry is one line in the build log; the wait ends at once when the build is cancelled,
 * times out, or its node stops.
 */
public final class PushRetry {

    /** No single wait is longer than this, whatever the doubling says. */
    static final Duration MAX_DELAY = Duration.ofMinutes(1);

    /** Waits before a retry; tests wrap it to act on the registry between two attempts. */
    @FunctionalInterface
    interface Pause {
        void await(Duration delay, BuildContext ctx) throws InterruptedException, BuildContext.BuildAbortedException;
    }

    /** Sleeps, but wakes as soon as the build is aborted (cancel, timeout, shutdown, lost lease). */
    static final Pause UNTIL_ABORTED = (delay, ctx) -> {
        CountDownLatch aborted = new CountDownLatch(1);
        ctx.onAbort(aborted::countDown);
        aborted.await(delay.toNanos(), TimeUnit.NANOSECONDS);
        ctx.throwIfAborted();
    };

    private final int retries;
    private final Duration firstDelay;
    private final Pause pause;

    public PushRetry(int retries, Duration firstDelay) {
        this(retries, firstDelay, UNTIL_ABORTED);
    }

    PushRetry(int retries, Duration firstDelay, Pause pause) {
        if (retries < 0 || firstDelay.isNegative()) {
            throw new IllegalArgumentException("retries and delay must not be negative");
        }
        this.retries = retries;
        this.firstDelay = firstDelay;
        this.pause = pause;
    }

    /** Three retries after 1, 2 and 4 seconds: the configuration's defaults. */
    public static PushRetry defaults() {
        return new PushRetry(3, Duration.ofSeconds(1));
    }

    /** Tries in all, the first included. */
    int attempts() {
        return retries + 1;
    }

    /** The wait before try {@code attempt} (2 for the first retry). */
    Duration delayBefore(int attempt) {
        Duration d = firstDelay;
        for (int i = 2; i < attempt && d.compareTo(MAX_DELAY) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
    }

    /**
     * After try {@code failed} failed for {@code reason}: false when it was the last; else says so
     * in the log, waits, and returns true. {@code registry} is the image's registry host (never
     * with credentials: {@link RegistryAddress} refuses a user part); {@code reason} a few fixed words.
     */
    boolean backOff(int failed, String registry, String reason, BuildLog log, BuildContext ctx)
            throws InterruptedException, BuildContext.BuildAbortedException {
        if (failed >= attempts()) {
            return false;
        }
        Duration delay = delayBefore(failed + 1);
        log.line("push to " + registry + " failed (" + reason + "); retrying in " + describe(delay) + " (attempt "
                + (failed + 1) + " of " + attempts() + ")");
        pause.await(delay, ctx);
        return true;
    }

    static String describe(Duration d) {
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + " s";
        }
        return d.toMillis() + " ms";
    }

    /** The registry part of an image reference ({@code host[:port]}). */
    static String registryOf(String imageTag) {
        int slash = imageTag.indexOf('/');
        return slash < 0 ? imageTag : imageTag.substring(0, slash);
    }
}
