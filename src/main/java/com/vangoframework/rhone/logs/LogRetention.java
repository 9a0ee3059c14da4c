package com.vangoframework.rhone.logs;

import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the build logs of deployments that finished more than the retention period ago, hourly,
 * and their build steps and phases with them.
 */
public final class LogRetention implements Managed {

    private static final Logger LOG = LoggerFactory.getLogger(LogRetention.class);
    private static final int BATCH = 100;

    private final LogChunkDao dao;
    private final StepDao steps;
    private final Duration retention;
    private final Clock clock;
    private ScheduledExecutorService timer;

    public LogRetention(LogChunkDao dao, Duration retention, Clock clock) {
        this(dao, null, retention, clock);
    }

    /** {@code steps}: the build steps and phases go with the log (null: only the log). */
    public LogRetention(LogChunkDao dao, StepDao steps, Duration retention, Clock clock) {
        this.dao = dao;
        this.steps = steps;
        this.retention = retention;
        this.clock = clock;
    }

    @Override
    public void start() {
        if (timer != null) {
            return;
        }
        timer = NamedThreads.scheduled("rhone-log-retention");
        timer.scheduleWithFixedDelay(this::runOnce, 1, 60, TimeUnit.MINUTES);
    }

    @Override
    public void stop() {
        NamedThreads.stopNow(timer, Duration.ofSeconds(5)); // a pass under way ends at its next batch
        timer = null;
    }

    /** One pass; returns the number of chunks deleted. */
    public int runOnce() {
        int total = 0;
        try {
            int deleted;
            do {
                deleted = dao.deleteFinishedBefore(clock.instant().minus(retention), BATCH);
                total += deleted;
            } while (deleted > 0 && !Thread.currentThread().isInterrupted());
            if (total > 0) {
                LOG.info("Deleted {} log chunks of deployments finished more than {} days ago", total,
                        retention.toDays());
            }
        } catch (RuntimeException e) {
            LOG.warn("Log retention pass failed; the next one tries again", e);
        }
        deleteSteps();
        return total;
    }

    /** The steps and phases of the same deployments, a batch of deployments at a time. */
    private void deleteSteps() {
        if (steps == null) {
            return;
        }
        try {
            int deleted;
            int total = 0;
            do {
                // Counts step and phase rows: a batch that deleted any goes on to the next.
                deleted = steps.deleteFinishedBefore(clock.instant().minus(retention), BATCH);
                total += deleted;
            } while (deleted > 0 && !Thread.currentThread().isInterrupted());
            if (total > 0) {
                LOG.info("Deleted {} build step and phase rows of deployments finished more than {} days ago", total,
                        retention.toDays());
            }
        } catch (RuntimeException e) {
            LOG.warn("Build step retention pass failed; the next one tries again", e);
        }
    }
}
