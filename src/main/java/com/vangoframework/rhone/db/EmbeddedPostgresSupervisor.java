package com.vangoframework.rhone.db;

import com.codahale.metrics.health.HealthCheck;
import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the service's embedded PostgreSQL running. Its server is detached from the JVM (see
 * {@link Postmaster}), so nothing else notices when it dies: every {@code checkEvery} this looks at
 * its server process, and once that is gone (killed, crashed, stopped by hand) starts it again on
 * the same port and data directory, retrying with back-off from {@code firstBackoff}, doubling up
 * to {@code maxBackoff}, and logging each attempt and why. Its health check says "down" and why
 * until the database is back. It runs on an executor it is handed; stopped (before the database
 * is closed) it restarts nothing more, and it never restarts a closed database.
 */
public final class EmbeddedPostgresSupervisor implements Managed {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresSupervisor.class);

    /** Since when the database is down, and how restarting it has gone so far. */
    private record Outage(Instant since, long lostPid, int attempts, String lastFailure, long nextAttemptNanos,
                          Duration backoff) {
    }

    private final EmbeddedPostgresHost host;
    private final ScheduledExecutorService executor;
    private final Duration checkEvery;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final AtomicLong checks = new AtomicLong();
    /** Null while the database runs; written only by the supervising thread. */
    private volatile Outage outage;
    private volatile boolean stopped;
    private ScheduledFuture<?> checking;

    public EmbeddedPostgresSupervisor(EmbeddedPostgresHost host, ScheduledExecutorService executor,
                                      Duration checkEvery, Duration firstBackoff, Duration maxBackoff) {
        if (!host.ownsDatabase()) {
            throw new IllegalArgumentException("only the process that runs the embedded PostgreSQL can supervise it");
        }
        this.host = host;
        this.executor = executor;
        this.checkEvery = checkEvery;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    /** The service's: checked every second, restarted after 1 s, 2 s, 4 s … at most 30 s apart. */
    public static EmbeddedPostgresSupervisor forService(EmbeddedPostgresHost host, ScheduledExecutorService executor) {
        return new EmbeddedPostgresSupervisor(host, executor, Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(30));
    }

    @Override
    public synchronized void start() {
        if (checking != null || stopped) {
            return;
        }
        checking = executor.scheduleWithFixedDelay(this::check, checkEvery.toMillis(), checkEvery.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** No restart begins after this; one under way is interrupted (its executor's owner waits for it). */
    @Override
    public synchronized void stop() {
        stopped = true;
        if (checking != null) {
            checking.cancel(true);
        }
    }

    /** How many checks have run (tests wait on it instead of on the clock). */
    long checks() {
        return checks.get();
    }

    private void check() {
        try {
            if (stopped || host.isClosed()) {
                return;
            }
            Outage current = outage;
            if (current == null) {
                Optional<ProcessHandle> postmaster = host.postmaster();
                if (postmaster.isEmpty() || postmaster.get().isAlive()) {
                    return;
                }
                long pid = postmaster.get().pid();
                LOG.warn("The embedded PostgreSQL on 127.0.0.1:{} has stopped: its server process (pid {}) is gone. "
                        + "Starting it again on the same port, with the data in {}", host.port(), pid, host.dataDir());
                current = new Outage(Instant.now(), pid, 0, "", System.nanoTime(), firstBackoff);
                outage = current;
            }
            if (System.nanoTime() - current.nextAttemptNanos() >= 0) {
                attempt(current);
            }
        } catch (RuntimeException e) {
            LOG.error("Supervising the embedded PostgreSQL failed; checking again in {}", checkEvery, e);
        } finally {
            checks.incrementAndGet();
        }
    }

    private void attempt(Outage current) {
        int attempt = current.attempts() + 1;
        LOG.info("Restarting the embedded PostgreSQL on 127.0.0.1:{} (attempt {}, down since {})", host.port(),
                attempt, current.since());
        try {
            long pid = host.restart();
            outage = null;
            LOG.info("The embedded PostgreSQL runs again on 127.0.0.1:{} (pid {}), {} s after its server process "
                    + "(pid {}) was found gone, at attempt {}", host.port(), pid,
                    Duration.between(current.since(), Instant.now()).toSeconds(), current.lostPid(), attempt);
        } catch (Exception e) {
            if (stopped || host.isClosed() || Thread.currentThread().isInterrupted()) {
                LOG.info("The embedded PostgreSQL is being stopped: no further restart");
                return;
            }
            Duration wait = current.backoff();
            String why = reason(e);
            outage = new Outage(current.since(), current.lostPid(), attempt, why, System.nanoTime() + wait.toNanos(),
                    wait.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : wait.multipliedBy(2));
            if (why.equals(current.lastFailure())) { // the trace was logged with the first attempt that failed so
                LOG.warn("Restarting the embedded PostgreSQL failed (attempt {}): {}; next attempt in {} ms", attempt,
                        why, wait.toMillis());
            } else {
                LOG.warn("Restarting the embedded PostgreSQL failed (attempt {}): {}; next attempt in {} ms", attempt,
                        why, wait.toMillis(), e);
            }
        }
    }

    private static String reason(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Unhealthy while the database is down (and why, and what is being done), or not answering. */
    public HealthCheck healthCheck() {
        return new HealthCheck() {
            @Override
            protected Result check() {
                Outage current = outage;
                if (current != null) {
                    return Result.unhealthy("the embedded PostgreSQL on 127.0.0.1:%d is down since %s (its server "
                            + "process, pid %d, is gone); %s", host.port(), current.since(), current.lostPid(),
                            current.attempts() == 0 ? "it is being restarted"
                                    : current.attempts() + " restart attempt(s) failed, the last with: "
                                            + current.lastFailure());
                }
                Optional<ProcessHandle> postmaster = host.postmaster();
                if (postmaster.isEmpty() || !postmaster.get().isAlive()) {
                    return Result.unhealthy("the embedded PostgreSQL on 127.0.0.1:%d has stopped; it is restarted "
                            + "within %d ms", host.port(), checkEvery.toMillis());
                }
                if (!host.acceptsConnections()) {
                    return Result.unhealthy("the embedded PostgreSQL (pid %d) does not accept connections on "
                            + "127.0.0.1:%d", postmaster.get().pid(), host.port());
                }
                return Result.healthy("the embedded PostgreSQL runs on 127.0.0.1:%d (pid %d)", host.port(),
                        postmaster.get().pid());
            }
        };
    }
}
