package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two complete service instances on one database drain a shared queue. */
class TwoNodesTest {

    @TempDir
    Path dataA;
    @TempDir
    Path dataB;

    @Test
    void twoNodes_drainHundredsOfDeployments_eachExactlyOnce_neverTwoAtOnceForAnApp() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        ScriptedPipeline nodeA = new ScriptedPipeline()
                .then(ctx -> Thread.sleep(ThreadLocalRandom.current().nextInt(0, 8)));
        ScriptedPipeline nodeB = new ScriptedPipeline(nodeA);
        TestService a = new TestService(db, dataA, nodeA).start();
        TestService b = new TestService(db, dataB, nodeB).start();
        try {
            Team team = fx.pendingQuota(fx.team("acme"), 1000); // 300 requests of 30 apps wait at once
            List<App> apps = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                apps.add(fx.app(team, "app-" + i));
            }
            List<Deployment> all = new ArrayList<>();
            for (int round = 0; round < 10; round++) {
                for (App app : apps) {
                    all.add(fx.pending(app));
                }
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() ->
                    jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM deployments WHERE status = 'built'")
                            .mapTo(Long.class).one()) == all.size());

            for (Deployment d : all) {
                assertThat(nodeA.runsOf(d.id())).as("runs of deployment %d", d.id()).isEqualTo(1);
                assertThat(fx.reload(d).attempt()).isEqualTo(1);
            }
            assertThat(nodeA.maxOverlapPerApp.get()).as("builds of one app at once").isEqualTo(1);
            assertThat(nodeA.started.get()).as("node A took part").isPositive();
            assertThat(nodeB.started.get()).as("node B took part").isPositive();
            assertThat(nodeA.started.get() + nodeB.started.get()).isEqualTo(all.size());
        } finally {
            a.stop();
            b.stop();
        }
    }
}
