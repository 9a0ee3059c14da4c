package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Clock;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QueueHealthCheckTest {

    private Jdbi jdbi;
    private Fixtures fx;
    private App app;
    private QueueHealthCheck check;

    @BeforeEach
    void setUp() {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        app = fx.app(fx.team("acme"), "web");
        // A queue that never started: all its slots are free and nothing drains the table.
        BuildQueue stalled = new BuildQueue(jdbi.onDemand(DeploymentDao.class), jdbi.onDemand(AppDao.class),
                new ScriptedPipeline(), new BuildsConfiguration(), "stalled", db, new MetricRegistry(),
                Clock.systemUTC());
        check = new QueueHealthCheck(stalled, jdbi.onDemand(DeploymentDao.class), Duration.ofMinutes(2),
                Clock.systemUTC());
    }

    @Test
    void startableWorkOlderThanTheThreshold_withFreeSlots_isUnhealthy() {
        Deployment d = fx.pending(app);
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET created_at = now() - interval '10 minutes' WHERE id = ?",
                d.id()));
        HealthCheck.Result result = check.execute();
        assertThat(result.isHealthy()).isFalse();
        assertThat(result.getMessage()).contains("has waited").contains("4 of 4 build slots")
                .contains("queue is stopped");
    }

    @Test
    void freshWork_isHealthy() {
        fx.pending(app);
        assertThat(check.execute().isHealthy()).isTrue();
    }

    @Test
    void oldWorkBehindARunningBuildOfItsApp_isNotStuck() {
        fx.pending(app);
        jdbi.onDemand(DeploymentDao.class).claimNext(new DeploymentDao.ClaimRequest("other-node", 60_000));
        Deployment waiting = fx.pending(app);
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET created_at = now() - interval '10 minutes' WHERE id = ?",
                waiting.id()));
        assertThat(check.execute().isHealthy()).isTrue();
    }
}
