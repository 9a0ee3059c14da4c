package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which requests wait for the team's quota lock, and which must not. */
class PendingQuotaTest {

    private Jdbi jdbi;
    private Fixtures fx;
    private Team team;
    private App app;

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        fx = new Fixtures(jdbi);
        team = fx.team("acme");
        app = fx.app(team, "web");
    }

    private CompletableFuture<Deployment> request(String branch) {
        return CompletableFuture.supplyAsync(() ->
                new DeploymentService(jdbi).request(NewDeployment.manual(app.id(), branch, null)));
    }

    /** Sessions of this database waiting for a lock, other than {@code holder}'s. */
    private long waitingForALock(Handle holder) {
        return holder.createQuery("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()""")
                .mapTo(Long.class).one();
    }

    @Test
    void aRequestThatSupersedesAWaitingOne_doesNotWaitForTheTeamLock_butANewBranchDoes() throws Exception {
        fx.pending(app); // main waits in the queue
        try (Handle holder = jdbi.open()) {
            holder.begin();
            // What every request that may grow the queue takes, held here by a request in flight.
            holder.execute("SELECT id FROM teams WHERE id = ? FOR NO KEY UPDATE", team.id());

            Deployment newer = request("main").get(10, TimeUnit.SECONDS);
            assertThat(newer.status()).isEqualTo(DeploymentStatus.PENDING);

            CompletableFuture<Deployment> feature = request("feature");
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(holder) == 1);
            assertThat(feature).as("a request that grows the queue waits for the lock").isNotDone();
            holder.rollback();
            assertThat(feature.get(10, TimeUnit.SECONDS).status()).isEqualTo(DeploymentStatus.PENDING);
        }
    }

    @Test
    void theQuotaStillHolds_forRequestsThatGrowTheQueue_andSupersedingOnesAreLetIn() {
        fx.pendingQuota(team, 2);
        DeploymentService service = new DeploymentService(jdbi);
        service.request(NewDeployment.manual(app.id(), "a", null));
        service.request(NewDeployment.manual(app.id(), "b", null));
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        service.request(NewDeployment.manual(app.id(), "c", null)))
                .isInstanceOf(PendingQuota.Exceeded.class)
                .hasMessageContaining("team acme already has its quota of deployments waiting to build (2)");
        assertThat(service.request(NewDeployment.manual(app.id(), "a", null)).status())
                .as("a newer request of a waiting branch").isEqualTo(DeploymentStatus.PENDING);
    }
}
