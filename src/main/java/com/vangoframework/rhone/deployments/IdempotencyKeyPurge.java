package com.vangoframework.rhone.deployments;

import io.dropwizard.lifecycle.Managed;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes idempotency keys past their lifetime, every {@code interval} on the executor it is
 * given (the lifecycle owns and stops it). Expired keys already count for nothing (lookups ignore
 * them); this only keeps the table small. Every node runs it; a delete of rows another node
 * deleted first deletes nothing.
 */
public final class IdempotencyKeyPurge implements Managed {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyKeyPurge.class);

    private final IdempotencyKeyDao dao;
    private final ScheduledExecutorService timer;
    private final Duration interval;
    private boolean started;

    public IdempotencyKeyPurge(IdempotencyKeyDao dao, ScheduledExecutorService timer, Duration interval) {
        this.dao = dao;
        this.timer = timer;
        this.interval = interval;
    }

    @Override
    public synchronized void start() {
        if (!started) {
            started = true;
            long every = interval.toMillis();
            timer.scheduleWithFixedDelay(this::runOnce, every, every, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void stop() {
        // The executor is the lifecycle's: it stops it.
    }

    /** One pass; the number of keys deleted (0 when the database could not be asked: the next pass tries again). */
    public int runOnce() {
        try {
            int deleted = dao.purgeExpired(IdempotencyKey.LIFETIME.toSeconds());
            if (deleted > 0) {
                LOG.info("Deleted {} idempotency keys older than {} hours", deleted, IdempotencyKey.LIFETIME.toHours());
            }
            return deleted;
        } catch (RuntimeException e) {
            LOG.warn("Purging expired idempotency keys failed; the next pass tries again", e);
            return 0;
        }
    }
}
