package com.vangoframework.rhone.db;

import com.codahale.metrics.health.HealthCheck;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Gives a health check that asks the database an answer within {@code bound}, whatever the
 * database does: the check runs on {@code executor} and {@code /healthcheck} waits for it that
 * long at most. At most one run is in flight: while a run still waits for a database that stopped
 * answering, later calls wait for that same run (no thread piles up behind it), and once it has
 * taken longer than the bound they answer at once that it has not answered for so long.
 *
 * <p>Dropwizard's own time bound ({@code TimeBoundHealthCheck}) falls back to running the check on
 * the caller's thread when its small pool is full, which a stalled database fills: then
 * {@code /healthcheck} hangs again. This one never runs the check on the caller's thread.
 */
public final class BoundedHealthCheck extends HealthCheck {

    private final String what;
    private final HealthCheck check;
    private final Duration bound;
    private final ExecutorService executor;
    private Run inFlight; // guarded by this

    private record Run(Future<Result> result, long startedNanos) {
    }

    /** {@code what} names what the check asks, for the sentence: "the database", "the build queue's database". */
    public BoundedHealthCheck(String what, HealthCheck check, Duration bound, ExecutorService executor) {
        this.what = what;
        this.check = check;
        this.bound = bound;
        this.executor = executor;
    }

    @Override
    protected Result check() {
        Run run;
        try {
            run = current();
        } catch (RejectedExecutionException stopping) {
            return Result.unhealthy("%s was not asked: the service is stopping", what);
        }
        long waitedNanos = System.nanoTime() - run.startedNanos();
        try {
            return run.result().get(Math.max(0, bound.toNanos() - waitedNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            long waited = Duration.ofNanos(System.nanoTime() - run.startedNanos()).toMillis();
            return Result.unhealthy("%s has not answered for %s (the bound is %s)", what, describe(waited),
                    describe(bound.toMillis()));
        } catch (ExecutionException e) {
            return Result.unhealthy("the check of " + what + " failed: " + e.getCause()); // execute() catches all
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.unhealthy("the check of %s was interrupted", what);
        }
    }

    /** The run in flight, or a new one when the last has finished. */
    private synchronized Run current() {
        if (inFlight == null || inFlight.result().isDone()) {
            inFlight = new Run(executor.submit(check::execute), System.nanoTime());
        }
        return inFlight;
    }

    private static String describe(long millis) {
        return millis < 10_000 ? millis + " ms" : millis / 1000 + " s";
    }
}
