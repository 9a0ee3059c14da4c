package com.vangoframework.rhone.deployments;

import com.codahale.metrics.CachedGauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** The queue's Dropwizard metrics (also exported to Prometheus from the admin port). */
final class QueueMetrics {

    private final Timer queueWait;
    private final Meter claims;
    private final Meter requeued;
    private final Meter interrupted;
    private final Map<DeploymentStatus, Meter> outcomes = new EnumMap<>(DeploymentStatus.class);

    QueueMetrics(MetricRegistry registry, LongSupplier pendingCount, IntSupplier running) {
        // Cached: a scrape must not turn into a query storm; two seconds stale is fine for a gauge.
        registry.gauge("rhone.queue.depth", () -> new CachedGauge<Long>(2, TimeUnit.SECONDS) {
            @Override
            protected Long loadValue() {
                return pendingCount.getAsLong();
            }
        });
        registry.gauge("rhone.builds.running", () -> running::getAsInt);
        queueWait = registry.timer("rhone.queue.wait");
        claims = registry.meter("rhone.queue.claims");
        requeued = registry.meter("rhone.builds.requeued");
        interrupted = registry.meter("rhone.builds.interrupted");
        for (DeploymentStatus s : DeploymentStatus.BUILD_FINISHED) {
            outcomes.put(s, registry.meter("rhone.builds.outcome." + s.dbValue()));
        }
    }

    void claimed(Deployment d, Instant now) {
        claims.mark();
        queueWait.update(Duration.between(d.createdAt(), now));
    }

    void finished(DeploymentStatus outcome) {
        Meter m = outcomes.get(outcome);
        if (m != null) {
            m.mark();
        }
    }

    void reaped(DeploymentDao.Reaped r) {
        if (r.status() == DeploymentStatus.PENDING) {
            requeued.mark();
        } else {
            interrupted.mark();
            finished(r.status());
        }
    }
}
