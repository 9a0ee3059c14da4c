package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.jdbi.v3.core.Jdbi;

/**
 * The deployment page's time to first byte with a big timeline (run by ops/bench/timeline;
 * prints figures, asserts nothing): a finished deployment with {@code steps} BuildKit steps
 * (default 500; a tenth cached, some internal, one failed, each with 10 stored output lines,
 * overlapping in time as parallel stages do), its five phases and a 1,000-line log, against the
 * same deployment without steps, on the real service and a real PostgreSQL. Each page is asked
 * for {@code warmup} times first (not counted), then {@code requests} times, one at a time.
 */
public final class TimelineBench {

    public static void main(String[] args) throws Exception {
        int stepCount = Integer.getInteger("steps", 500);
        int warmup = Integer.getInteger("warmup", 50);
        int requests = Integer.getInteger("requests", 100);
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("bench");
        App app = fx.app(team, "web");
        long user = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser("bench");
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        String session = new Sessions(jdbi, Clock.systemUTC()).create(user);
        ScheduledExecutorService flusher = NamedThreads.scheduled("bench-log-flusher");
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                flusher);
        Deployment withSteps = finished(jdbi, fx, app, logs);
        Deployment without = finished(jdbi, fx, app, logs);
        writeTimeline(jdbi.onDemand(StepDao.class), withSteps, stepCount);
        NamedThreads.stopNow(flusher, Duration.ofSeconds(5));

        TestService service = new TestService(db, Files.createTempDirectory("rhone-timeline-bench"),
                new ScriptedPipeline(), ConfigOverride.config("builds.workerEnabled", "false")).start();
        List<String> figures = new ArrayList<>();
        try {
            URI base = URI.create(service.url());
            figures.add(String.format("== deployment page, time to first byte (%d requests after %d warm-up, one at "
                    + "a time) ==", requests, warmup));
            figures.add(measure(base, "with " + stepCount + " steps", "/apps/web/deployments/" + withSteps.id(),
                    session, warmup, requests));
            figures.add(measure(base, "without steps", "/apps/web/deployments/" + without.id(), session, warmup,
                    requests));
        } finally {
            service.stop();
        }
        // After the service stopped: the figures come after its request log, not lost in it.
        figures.forEach(System.out::println);
        System.out.flush();
        System.exit(0); // the database stops in its shutdown hook
    }

    private static Deployment finished(Jdbi jdbi, Fixtures fx, App app, LogStore logs) {
        Deployment d = fx.pending(app);
        try (BuildLog log = logs.open(d.id(), s -> s)) {
            for (int i = 0; i < 1000; i++) {
                log.line("#" + (i % 500 + 1) + " 1.2" + (i % 10) + " compiling module " + i + " of the project");
            }
        }
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'build_failed', build_started_at = now(), "
                + "build_finished_at = now(), build_duration_ms = 600000, "
                + "error_message = 'step [build 250/500] RUN make failed with exit code 2' WHERE id = ?", d.id()));
        return d;
    }

    private static void writeTimeline(StepDao dao, Deployment d, int count) {
        Instant t0 = Instant.now().minusSeconds(600);
        dao.upsertPhases(List.of(new StepDao.StoredPhase(d.id(), 1, "queued", t0, t0.plusSeconds(2)),
                new StepDao.StoredPhase(d.id(), 1, "clone", t0.plusSeconds(2), t0.plusSeconds(5)),
                new StepDao.StoredPhase(d.id(), 1, "analysis", t0.plusSeconds(5), t0.plusSeconds(6)),
                new StepDao.StoredPhase(d.id(), 1, "build", t0.plusSeconds(6), t0.plusSeconds(580)),
                new StepDao.StoredPhase(d.id(), 1, "push", t0.plusSeconds(580), t0.plusSeconds(590))));
        StringBuilder lines = new StringBuilder();
        for (int l = 0; l < 10; l++) {
            lines.append(l > 0 ? "\n" : "").append("npm warn deprecated inflight@1.0.6: this module leaks memory ")
                    .append(l);
        }
        List<StepDao.StoredStep> steps = new ArrayList<>(count);
        for (int v = 1; v <= count; v++) {
            // Four parallel stages: steps overlap in time.
            Instant start = t0.plusMillis(6000 + (v / 4) * 1100L + (v % 4) * 300L);
            long ms = 400 + (v * 7919L) % 3000;
            String status = v == count / 2 ? "error" : v % 10 == 0 ? "cached" : "done";
            boolean internal = v % 25 == 1;
            steps.add(new StepDao.StoredStep(d.id(), 1, v, "[stage-" + (v % 4) + " " + v + "/" + count
                    + "] RUN npm run build --workspace packages/module-" + v, "stage-" + (v % 4), internal, status,
                    start, start.plusMillis(ms), ms, "error".equals(status) ? 2 : null,
                    "error".equals(status) ? "exit code: 2" : null, lines.toString(), 40, 0));
        }
        for (int from = 0; from < steps.size(); from += 100) {
            dao.upsertSteps(steps.subList(from, Math.min(steps.size(), from + 100)));
        }
    }

    private static String measure(URI base, String label, String path, String session, int warmup, int requests)
            throws Exception {
        List<Long> micros = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < warmup + requests; i++) {
            long[] r = LiveLogBench.firstByte(base, path, session);
            if (i >= warmup) {
                micros.add(r[0]);
            }
            bytes = r[1];
        }
        Collections.sort(micros);
        return String.format("%-16s %,9d bytes  p50 %6.1f ms  p90 %6.1f ms  max %6.1f ms", label, bytes,
                LiveLogBench.pct(micros, 50) / 1000.0, LiveLogBench.pct(micros, 90) / 1000.0,
                micros.get(micros.size() - 1) / 1000.0);
    }
}
