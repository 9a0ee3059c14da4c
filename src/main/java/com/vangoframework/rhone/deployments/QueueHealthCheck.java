package com.vangoframework.rhone.deployments;

import com.codahale.metrics.health.HealthCheck;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Unhealthy when work that could start has waited past the threshold while this node has free
 * slots: the sign of a dispatcher that stopped claiming or a queue nobody drains.
 */
public final class QueueHealthCheck extends HealthCheck {

    private final BuildQueue queue;
    private final DeploymentDao dao;
    private final Duration threshold;
    private final Clock clock;

    public QueueHealthCheck(BuildQueue queue, DeploymentDao dao, Duration threshold, Clock clock) {
        this.queue = queue;
        this.dao = dao;
        this.threshold = threshold;
        this.clock = clock;
    }

    @Override
    protected Result check() {
        int free = queue.freeSlots();
        // A build held back for another team's (one team at a time) is not stuck: it waits its turn.
        Optional<Instant> oldest = queue.oneTeamAtATime() ? dao.oldestStartablePendingOneTeamAtATime()
                : dao.oldestStartablePending();
        if (oldest.isPresent() && free > 0) {
            Duration waited = Duration.between(oldest.get(), clock.instant());
            if (waited.compareTo(threshold) > 0) {
                return Result.unhealthy("a startable deployment has waited %d s (threshold %d s) while %d of %d "
                                + "build slots on node %s are free%s", waited.toSeconds(), threshold.toSeconds(), free,
                        queue.capacity(), queue.nodeId(), queue.isRunning() ? "" : "; this node's queue is stopped");
            }
        }
        return Result.healthy("%d of %d build slots free; notifications %s", free, queue.capacity(),
                queue.isListening() ? "connected" : "disconnected (polling)");
    }
}
