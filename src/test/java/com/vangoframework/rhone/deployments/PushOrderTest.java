package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commit order against real PostgreSQL: {@link PushOrder}'s verdicts at its limits, and the
 * supersede of requests that two deliveries in flight at once let through (inserted here directly,
 * as such a delivery's transaction does, without a verdict). Follow-ups run on the requesting thread.
 */
class PushOrderTest {

    private Jdbi jdbi;
    private Fixtures fx;
    private App app;
    private DeploymentService service;

    @BeforeEach
    void setUp() {
        DatabaseTarget target = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(target);
        fx = new Fixtures(jdbi);
        app = fx.app(fx.team("acme"), "web");
        service = new DeploymentService(jdbi);
    }

    private static String sha() {
        return UUID.randomUUID().toString().replace("-", "") + "01234567";
    }

    private NewDeployment push(String before, String after) {
        return new NewDeployment(app.id(), DeploymentTrigger.PUSH, "main", after, "m", "a", null, null,
                NewDeployment.Origin.OWN, before);
    }

    private NewDeployment pullRequestUpdate(int number, String before, String after) {
        return new NewDeployment(app.id(), DeploymentTrigger.PULL_REQUEST, "feature", after, "PR", "a", number, null,
                NewDeployment.Origin.OWN, before);
    }

    /** Inserted and committed together, as racing deliveries leave them, then followed up together. */
    private List<Deployment> racing(NewDeployment... requests) {
        List<Deployment> rows = jdbi.inTransaction(h -> {
            List<Deployment> created = new ArrayList<>();
            for (NewDeployment r : requests) {
                created.add(DeploymentService.insert(h, r));
            }
            return created;
        });
        service.published(rows.stream().map(Deployment::id).toList());
        return rows;
    }

    private PushOrder.Verdict verdict(String before, String after) throws java.sql.SQLException {
        return jdbi.withHandle(h -> PushOrder.ofBranchPush(h.getConnection(), app.id(), "main", before, after));
    }

    @Test
    void aLatePushThatRacedItsSuccessor_givesWayToIt_thoughItsIdIsNewer() {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        Deployment b = racing(push(a1, b1)).get(0);
        Deployment lateA = racing(push(a0, a1)).get(0);
        assertThat(lateA.id()).isGreaterThan(b.id());
        Deployment cancelled = fx.reload(lateA);
        assertThat(cancelled.status()).isEqualTo(DeploymentStatus.CANCELLED);
        assertThat(cancelled.supersededBy()).isEqualTo(b.id());
        assertThat(cancelled.errorMessage()).isEqualTo("superseded by " + b1.substring(0, 12));
        assertThat(fx.reload(b).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void pushesBackAndForth_allPending_leaveTheNewest() {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        String c1 = sha();
        // a1 -> b1 -> c1, then back to a1: every one is behind another; the last push stays.
        List<Deployment> rows = racing(push(a0, a1), push(a1, b1), push(b1, c1), push(c1, a1));
        Deployment back = rows.get(3);
        assertThat(fx.reload(back).status()).isEqualTo(DeploymentStatus.PENDING);
        for (Deployment d : rows.subList(0, 3)) {
            assertThat(fx.reload(d).supersededBy()).isEqualTo(back.id());
        }
    }

    @Test
    void aPersonsDeployOfAnOlderCommit_isNotBehindAPush_andStays() {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        List<Deployment> rows = racing(push(a0, a1), push(a1, b1), NewDeployment.manual(app.id(), "main", a1));
        Deployment manual = rows.get(2);
        assertThat(fx.reload(manual).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(fx.reload(rows.get(1)).supersededBy()).isEqualTo(manual.id());
    }

    @Test
    void aLatePullRequestUpdate_givesWayOnlyWithinItsPullRequest_andNeverToTheBranch() {
        String h1 = sha();
        String h2 = sha();
        String h3 = sha();
        Deployment branch = racing(push(sha(), h2)).get(0);
        Deployment newer = racing(pullRequestUpdate(4, h2, h3)).get(0);
        Deployment late = racing(pullRequestUpdate(4, h1, h2)).get(0);
        assertThat(fx.reload(late).supersededBy()).isEqualTo(newer.id());
        assertThat(fx.reload(newer).status()).isEqualTo(DeploymentStatus.PENDING);
        // The branch build at h2 is not the pull request's: nothing in #4 moved on from it.
        assertThat(fx.reload(branch).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void aForcePushBack_isNewsWithinTheWalk_butNotPastIt() throws Exception {
        String a0 = sha();
        String a1 = sha();
        racing(push(a0, a1));
        String head = a1;
        for (int i = 0; i < PushOrder.MAX_STEPS; i++) {
            String next = sha();
            racing(push(head, next));
            head = next;
        }
        // a1 was left MAX_STEPS pushes ago: back to it from the head is the furthest the walk goes.
        assertThat(verdict(head, a1)).isEqualTo(PushOrder.Verdict.NEW);
        String last = sha();
        racing(push(head, last));
        assertThat(verdict(last, a1)).isEqualTo(PushOrder.Verdict.ALREADY_REQUESTED);
        // What the branch never was at is news; what it left just now is not, from anywhere else.
        assertThat(verdict(last, sha())).isEqualTo(PushOrder.Verdict.NEW);
        assertThat(verdict(sha(), head)).isEqualTo(PushOrder.Verdict.ALREADY_REQUESTED);
        assertThat(verdict(null, last)).isEqualTo(PushOrder.Verdict.ALREADY_REQUESTED);
    }
}
