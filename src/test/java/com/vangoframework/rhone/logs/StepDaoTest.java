package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StepDaoTest {

    private Jdbi jdbi;
    private StepDao dao;
    private Deployment deployment;
    private final Instant t0 = Instant.parse("2026-12-02T10:00:00Z");

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        Fixtures fx = new Fixtures(jdbi);
        deployment = fx.pending(fx.app(fx.team("acme"), "web"));
        dao = jdbi.onDemand(StepDao.class);
    }

    private StepDao.StoredStep step(int attempt, int vertex, String status, Instant end) {
        return new StepDao.StoredStep(deployment.id(), attempt, vertex, "[2/2] RUN make", "", false, status, t0, end,
                end == null ? null : 1300L, null, null, "make: ok", 3, 0);
    }

    @Test
    void anUpdatedStepKeepsOneRow_andMovesPastEveryEarlierChange() {
        dao.upsertSteps(List.of(step(1, 1, "running", null), step(1, 2, "running", null)));
        long before = dao.steps(deployment.id(), 1).get(1).changeSeq();
        dao.upsertSteps(List.of(step(1, 1, "done", t0.plusSeconds(1))));

        List<StepDao.StoredStep> steps = dao.steps(deployment.id(), 1);
        assertThat(steps).extracting(StepDao.StoredStep::vertex).containsExactly(1, 2);
        assertThat(steps.get(0).status()).isEqualTo("done");
        assertThat(steps.get(0).durationMs()).isEqualTo(1300L);
        assertThat(dao.stepsChangedAfter(deployment.id(), before, 100))
                .extracting(StepDao.StoredStep::vertex).containsExactly(1);
    }

    @Test
    void eachAttemptKeepsItsOwnSteps_andTheLatestIsKnown() {
        assertThat(dao.latestAttempt(deployment.id())).isZero();
        dao.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 1, "clone", t0, null)));
        dao.upsertSteps(List.of(step(1, 1, "error", t0.plusSeconds(2))));
        dao.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 2, "clone", t0, t0.plusSeconds(1))));

        assertThat(dao.latestAttempt(deployment.id())).isEqualTo(2);
        assertThat(dao.steps(deployment.id(), 2)).isEmpty();
        assertThat(dao.steps(deployment.id(), 1)).hasSize(1);
        assertThat(dao.phases(deployment.id(), 2)).singleElement()
                .satisfies(p -> assertThat(p.endedAt()).isEqualTo(t0.plusSeconds(1)));
    }

    @Test
    void retentionCountsPhasesToo_soABatchOfPhasesOnlyDoesNotEndThePass() {
        dao.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 1, "clone", t0, t0)));
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET build_finished_at = ? WHERE id = ?",
                t0, deployment.id()));
        assertThat(dao.deleteFinishedBefore(t0.plusSeconds(1), 10)).isEqualTo(1);
        assertThat(dao.latestAttempt(deployment.id())).isZero();
    }

    @Test
    void retentionDeletesTheStepsOfFinishedBuildsOnly() {
        dao.upsertSteps(List.of(step(1, 1, "done", t0)));
        dao.upsertPhases(List.of(new StepDao.StoredPhase(deployment.id(), 1, "build", t0, t0)));
        assertThat(dao.deleteFinishedBefore(Instant.now().plusSeconds(60), 10)).isZero(); // still pending

        jdbi.useHandle(h -> h.execute("UPDATE deployments SET build_finished_at = ? WHERE id = ?",
                t0, deployment.id()));
        assertThat(dao.deleteFinishedBefore(t0.plusSeconds(1), 10)).as("one step and one phase").isEqualTo(2);
        assertThat(dao.steps(deployment.id(), 1)).isEmpty();
        assertThat(dao.phases(deployment.id(), 1)).isEmpty();
    }
}
