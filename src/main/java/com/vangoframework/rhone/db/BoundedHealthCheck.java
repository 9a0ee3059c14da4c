package com.vangoframework.rhone.db;

import com.codahale.metrics.health.HealthCheck;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * <p>The checks of one {@link Group} ask the same database, and {@code /healthcheck} asks its
 * checks one after another: a check that needs a new run starts one of every check of its group
 * (those not running already), so their waits overlap and a paused database costs the whole page
 * one bound, not one per check. A run started for a check by another is its answer if it asks
 * within a bound; no answer is used twice.
 *
 * <p>Dropwizard's own time bound ({@code TimeBoundHealthCheck}) falls back to running the check on
 * the caller's thread when its small pool is full, which a stalled database fills: then
 * {@code /healthcheck} hangs again. This one never runs the check on the caller's thread.
 */
public final class BoundedHealthCheck extends HealthCheck {

    /** Checks that ask one database (see above); the executor needs a thread for each. */
    public static final class Group {
        private final List<BoundedHealthCheck> members = new CopyOnWriteArrayList<>();
        private final Duration bound;
        private final ExecutorService executor;

        public Group(Duration bound, ExecutorService executor) {
            this.bound = bound;
            this.executor = executor;
        }

        /** {@code what} names what the check asks, for its sentence: "the database". */
        public BoundedHealthCheck add(String what, HealthCheck check) {
            BoundedHealthCheck bounded = new BoundedHealthCheck(what, check, this);
            members.add(bounded);
            return bounded;
        }
    }

    private final String what;
    private final HealthCheck check;
    private final Group group;
    private Run latest; // guarded by group
    private boolean read; // guarded by group: latest's answer was asked for by this check

    private record Run(Future<Result> result, long startedNanos) {
    }

    private BoundedHealthCheck(String what, HealthCheck check, Group group) {
        this.what = what;
        this.check = check;
        this.group = group;
    }

    @Override
    protected Result check() {
        Run run;
        try {
            run = next();
        } catch (RejectedExecutionException stopping) {
            return Result.unhealthy("%s was not asked: the service is stopping", what);
        }
        long boundNanos = group.bound.toNanos();
        try {
            return run.result().get(Math.max(0, boundNanos - (System.nanoTime() - run.startedNanos())),
                    TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            long waited = Duration.ofNanos(System.nanoTime() - run.startedNanos()).toMillis();
            return Result.unhealthy("%s has not answered for %s (the bound is %s)", what, describe(waited),
                    describe(group.bound.toMillis()));
        } catch (ExecutionException e) {
            return Result.unhealthy("the check of " + what + " failed: " + e.getCause()); // execute() catches all
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.unhealthy("the check of %s was interrupted", what);
        }
    }

    /** This check's answer to wait for: its run in flight, one started for it lately, or a new one. */
    private Run next() {
        synchronized (group) {
            if (!inFlight() && !unreadAndFresh()) {
                for (BoundedHealthCheck member : group.members) {
                    if (member == this || !member.inFlight() && !member.unreadAndFresh()) {
                        member.latest = new Run(group.executor.submit(member.check::execute), System.nanoTime());
                        member.read = false;
                    }
                }
            }
            read = true;
            return latest;
        }
    }

    private boolean inFlight() {
        return latest != null && !latest.result().isDone();
    }

    private boolean unreadAndFresh() {
        return latest != null && !read && System.nanoTime() - latest.startedNanos() < group.bound.toNanos();
    }

    private static String describe(long millis) {
        return millis < 10_000 ? millis + " ms" : millis / 1000 + " s";
    }
}
