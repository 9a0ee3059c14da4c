package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Queue benchmark (run by ops/bench/queue; prints figures, asserts nothing about time):
 * <ol>
 * <li>pickup latency: a deployment committed while capacity is free, to its claim
 *     (build_started_at - created_at, both stamped by the database clock);</li>
 * <li>claim throughput: two full service instances with 4 slots each drain 2,000 deployments of
 *     200 apps with a no-op pipeline; counts double runs and lost deployments.</li>
 * </ol>
 */
public final class QueueBench {

    public static void main(String[] args) throws Exception {
        int latencySamples = Integer.parseInt(System.getProperty("samples", "300"));
        int total = Integer.parseInt(System.getProperty("deployments", "2000"));
        int appCount = Integer.parseInt(System.getProperty("apps", "200"));

        System.out.println("== pickup latency (" + latencySamples + " deployments, free capacity) ==");
        pickupLatency(latencySamples);
        System.out.println("== claim throughput (2 nodes x 4 slots, " + total + " deployments, " + appCount + " apps) ==");
        throughput(total, appCount);
        System.exit(0);
    }

    private static void pickupLatency(int samples) throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        var team = fx.pendingQuota(fx.team("bench"), 100_000); // the whole queue waits at once
        var apps = new ArrayList<com.vangoframework.rhone.apps.App>();
        for (int i = 0; i < samples; i++) {
            apps.add(fx.app(team, "lat-" + i));
        }
        TestService a = new TestService(db, Files.createTempDirectory("bench-a"), new ScriptedPipeline()).start();
        TestService b = new TestService(db, Files.createTempDirectory("bench-b"), new ScriptedPipeline()).start();
        try {
            Thread.sleep(1000);
            for (var app : apps) {
                fx.pending(app);
                Thread.sleep(15); // one at a time, so capacity is always free
            }
            Thread.sleep(2000);
            List<Double> ms = jdbi.withHandle(h -> h.createQuery("""
                    SELECT extract(epoch FROM build_started_at - created_at) * 1000 FROM deployments
                    WHERE build_started_at IS NOT NULL""").mapTo(Double.class).list());
            Collections.sort(ms);
            System.out.printf("claimed %d of %d; pickup ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f%n",
                    ms.size(), samples, pct(ms, 50), pct(ms, 90), pct(ms, 99), ms.get(ms.size() - 1));
        } finally {
            a.stop();
            b.stop();
        }
    }

    private static void throughput(int total, int appCount) throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        var team = fx.pendingQuota(fx.team("bench"), 100_000); // the whole queue waits at once
        for (int i = 0; i < appCount; i++) {
            fx.app(team, "tp-" + i);
        }
        ScriptedPipeline pa = new ScriptedPipeline();
        ScriptedPipeline pb = new ScriptedPipeline(pa);
        TestService a = new TestService(db, Files.createTempDirectory("bench-a"), pa).start();
        TestService b = new TestService(db, Files.createTempDirectory("bench-b"), pb).start();
        try {
            Thread.sleep(1000);
            long start = System.nanoTime();
            // One transaction: every row becomes visible at the same instant; then the wake-up the
            // service sends after a request commits.
            jdbi.useHandle(h -> {
                h.execute("""
                        INSERT INTO deployments (app_id, trigger, branch)
                        SELECT a.id, 'manual', 'main' FROM generate_series(1, ?) g
                        JOIN apps a ON a.slug = 'tp-' || ((g - 1) % ?)""", total, appCount);
                h.execute("SELECT pg_notify('rhone_queue', '')");
            });
            long built;
            do {
                Thread.sleep(100); // the watcher's own queries compete for the same 2 cores
                built = jdbi.withHandle(h -> h.createQuery(
                        "SELECT count(*) FROM deployments WHERE status <> 'pending' AND status NOT IN "
                                + DeploymentStatus.ACTIVE_SQL)
                        .mapTo(Long.class).one());
            } while (built < total && System.nanoTime() - start < 300_000_000_000L);
            double seconds = (System.nanoTime() - start) / 1e9;
            long doubleRuns = pa.runs.values().stream().filter(n -> n.get() > 1).count();
            long lost = jdbi.withHandle(h -> h.createQuery(
                    "SELECT count(*) FROM deployments WHERE status <> 'built' OR attempt <> 1").mapTo(Long.class).one());
            System.out.printf("%d deployments in %.2f s: %.0f claims/s; node A %d, node B %d; "
                            + "double runs %d; lost or not built %d; max builds of one app at once %d%n",
                    total, seconds, total / seconds, pa.started.get(), pb.started.get(), doubleRuns, lost,
                    pa.maxOverlapPerApp.get());
        } finally {
            a.stop();
            b.stop();
        }
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }
}
