package com.vangoframework.rhone.deployments;

import com.codahale.metrics.CachedGauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The queue's metrics. Gauges and rates are Dropwizard metrics (JSON on /metrics, also exported on
 * /prometheus); what is alerted on across nodes is native Prometheus: outcomes as one counter with
 * an {@code outcome} label, and build duration and queue wait as histograms, which add up across
 * nodes (a Dropwizard timer becomes a summary, whose quantiles cannot be combined).
 */
final class QueueMetrics {

    private final Meter claims;
    private final Meter requeued;
    private final Meter interrupted;
    private final Counter outcomes = Counter.builder().name("rhone_builds")
            .help("Builds that ended, by outcome (built, build_failed, cancelled)").labelNames("outcome").build();
    private final Histogram buildDuration = Histogram.builder().name("rhone_build_duration_seconds")
            .help("From a build's start (claim) to its outcome, by outcome").labelNames("outcome").classicOnly()
            .classicUpperBounds(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600).build();
    private final Histogram queueWait = Histogram.builder().name("rhone_queue_wait_seconds")
            .help("From a deployment's request to its claim by a node").classicOnly()
            .classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800).build();

    QueueMetrics(MetricRegistry registry, LongSupplier pendingCount, IntSupplier running) {
        // Cached: a scrape must not turn into a query storm; two seconds stale is fine for a gauge.
        registry.gauge("rhone.queue.depth", () -> new CachedGauge<Long>(2, TimeUnit.SECONDS) {
            @Override
            protected Long loadValue() {
                return pendingCount.getAsLong();
            }
        });
        registry.gauge("rhone.builds.running", () -> running::getAsInt);
        claims = registry.meter("rhone.queue.claims");
        requeued = registry.meter("rhone.builds.requeued");
        interrupted = registry.meter("rhone.builds.interrupted");
        for (DeploymentStatus s : DeploymentStatus.BUILD_FINISHED) {
            // Every outcome is present from the start, so a rate over it is 0, not "no data".
            outcomes.initLabelValues(s.dbValue());
            buildDuration.initLabelValues(s.dbValue());
        }
    }

    /** The Prometheus metrics, for the service's registry (each service registers its own queue's). */
    List<Collector> prometheus() {
        return List.of(outcomes, buildDuration, queueWait);
    }

    void claimed(Deployment d, Instant now) {
        claims.mark();
        queueWait.observe(seconds(Duration.between(d.createdAt(), now)));
    }

    /** A build this node ran ended; {@code started} is when it was claimed (null if unknown). */
    void finished(DeploymentStatus outcome, Instant started, Instant now) {
        outcomes.labelValues(outcome.dbValue()).inc();
        if (started != null) {
            buildDuration.labelValues(outcome.dbValue()).observe(seconds(Duration.between(started, now)));
        }
    }

    void reaped(DeploymentDao.Reaped r) {
        if (r.status() == DeploymentStatus.PENDING) {
            requeued.mark();
        } else {
            interrupted.mark();
            outcomes.labelValues(r.status().dbValue()).inc();
        }
    }

    private static double seconds(Duration d) {
        return Math.max(0, d.toNanos()) / 1e9;
    }
}
