package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** Retention takes a build's steps and phases with its log, and leaves a recent build's alone. */
class LogRetentionStepsTest {

    @Test
    void theStepsAndPhasesOfBuildsFinishedLongAgo_goWithTheirLogs() {
        Jdbi jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        Fixtures fx = new Fixtures(jdbi);
        Deployment old = fx.pending(fx.app(fx.team("acme"), "web"));
        Deployment recent = fx.pending(fx.app(fx.team("globex"), "api"));
        StepDao steps = jdbi.onDemand(StepDao.class);
        Instant t0 = Instant.parse("2026-01-02T10:00:00Z");
        for (Deployment d : List.of(old, recent)) {
            steps.upsertSteps(List.of(new StepDao.StoredStep(d.id(), 1, 5, "[2/2] RUN make", "", false, "done", t0,
                    t0.plusSeconds(1), 1000L, null, null, "ok", 1, 0)));
            steps.upsertPhases(List.of(new StepDao.StoredPhase(d.id(), 1, "build", t0, t0.plusSeconds(1))));
        }
        jdbi.useHandle(h -> {
            h.execute("UPDATE deployments SET status = 'built', build_finished_at = now() - interval '40 days' "
                    + "WHERE id = ?", old.id());
            h.execute("UPDATE deployments SET status = 'build_failed', build_finished_at = now() - interval '2 days' "
                    + "WHERE id = ?", recent.id());
        });

        new LogRetention(jdbi.onDemand(LogChunkDao.class), steps, Duration.ofDays(30), Clock.systemUTC()).runOnce();

        assertThat(steps.steps(old.id(), 1)).isEmpty();
        assertThat(steps.phases(old.id(), 1)).isEmpty();
        assertThat(steps.steps(recent.id(), 1)).hasSize(1);
        assertThat(steps.phases(recent.id(), 1)).hasSize(1);
    }
}
