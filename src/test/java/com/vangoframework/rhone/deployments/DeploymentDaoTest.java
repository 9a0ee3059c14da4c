package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.deployments.DeploymentDao.ClaimRequest;
import com.vangoframework.rhone.deployments.DeploymentDao.Outcome;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue's SQL on real PostgreSQL with the real migrations. */
class DeploymentDaoTest {

    private Jdbi jdbi;
    private DeploymentDao dao;
    private Fixtures fx;
    private App app;
    private App other;

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        dao = jdbi.onDemand(DeploymentDao.class);
        fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        app = fx.app(team, "web");
        other = fx.app(team, "api");
    }

    private Deployment claim(String node) {
        return dao.claimNext(new ClaimRequest(node, 30_000)).orElseThrow();
    }

    @Test
    void aRequestForAnAppDeletedMeanwhile_isAppGone_notADatabaseError_andWritesNothing() {
        long gone = other.id();
        jdbi.useHandle(h -> h.execute("DELETE FROM apps WHERE id = ?", gone));
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        new DeploymentService(jdbi).request(NewDeployment.manual(gone, "main", null)))
                .isInstanceOf(DeploymentService.AppGone.class)
                .hasMessage("app " + gone + " was deleted while this request was made");
        assertThat(fx.count("deployments")).isZero();
    }

    @Test
    void claim_takesOldestPending_andSetsLeaseAndAttempt() {
        Deployment first = fx.pending(app);
        fx.pending(other);
        Deployment claimed = claim("node-a");
        assertThat(claimed.id()).isEqualTo(first.id());
        assertThat(claimed.status()).isEqualTo(DeploymentStatus.CLONING);
        assertThat(claimed.leaseOwner()).isEqualTo("node-a");
        assertThat(claimed.leaseExpiresAt()).isAfter(claimed.createdAt());
        assertThat(claimed.attempt()).isEqualTo(1);
        assertThat(claimed.buildStartedAt()).isNotNull();
    }

    @Test
    void claim_skipsAppsWithARunningBuild() {
        fx.pending(app);
        Deployment secondOfSameApp = fx.pending(app);
        Deployment otherApp = fx.pending(other);
        claim("node-a");
        assertThat(claim("node-b").id()).isEqualTo(otherApp.id());
        assertThat(dao.claimNext(new ClaimRequest("node-c", 30_000))).isEmpty();
        assertThat(fx.reload(secondOfSameApp).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void secondRunningRowForOneApp_isRefusedByTheDatabase() {
        Deployment a = fx.pending(app);
        Deployment b = fx.pending(app);
        claim("node-a");
        assertThatThrownBy(() -> jdbi.useHandle(h -> h.execute(
                "UPDATE deployments SET status = 'building' WHERE id = ?", b.id())))
                .isInstanceOf(UnableToExecuteStatementException.class)
                .hasMessageContaining("deployments_one_active_build_per_app");
        assertThat(fx.reload(a).status()).isEqualTo(DeploymentStatus.CLONING);
    }

    @Test
    void advance_isACompareAndSetOnStatusAndLease() {
        fx.pending(app);
        Deployment d = claim("node-a");
        assertThat(dao.advance(d.lease(), DeploymentStatus.CLONING, DeploymentStatus.ANALYZING)).isEqualTo(1);
        // The same write again (its first commit's answer was lost): the row is there already.
        assertThat(dao.advance(d.lease(), DeploymentStatus.CLONING, DeploymentStatus.ANALYZING)).isEqualTo(1);
        // A move from a phase the row is neither in nor going to matches nothing.
        assertThat(dao.advance(d.lease(), DeploymentStatus.BUILDING, DeploymentStatus.PUSHING)).isZero();
        // Another node's lease, or an older attempt, matches nothing.
        assertThat(dao.advance(new Lease(d.id(), "node-b", 1), DeploymentStatus.ANALYZING,
                DeploymentStatus.BUILDING)).isZero();
        assertThat(dao.advance(new Lease(d.id(), "node-a", 0), DeploymentStatus.ANALYZING,
                DeploymentStatus.BUILDING)).isZero();
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.ANALYZING);
    }


    @Test
    void finish_recordsOutcomeDurationAndClearsLease() {
        fx.pending(app);
        Deployment d = claim("node-a");
        int updated = dao.finish(d.lease(), DeploymentStatus.CLONING,
                new Outcome(DeploymentStatus.BUILD_FAILED, "branch main not found", null, null));
        assertThat(updated).isEqualTo(1);
        Deployment done = fx.reload(d);
        assertThat(done.status()).isEqualTo(DeploymentStatus.BUILD_FAILED);
        assertThat(done.errorMessage()).isEqualTo("branch main not found");
        assertThat(done.buildFinishedAt()).isNotNull();
        assertThat(done.buildDurationMs()).isNotNull().isGreaterThanOrEqualTo(0);
        assertThat(done.leaseOwner()).isNull();
    }

    @Test
    void aFinishWhoseAnswerWasLost_isRecognisedAsRecorded_butNotAReapersOrAnotherAttemptsOutcome() {
        fx.pending(app);
        Deployment d = claim("node-a");
        Outcome failed = new Outcome(DeploymentStatus.BUILD_FAILED, "step [2/2] failed", null, null);
        assertThat(dao.holdsOutcome(d.lease(), failed)).as("before the finish").isFalse();
        assertThat(dao.finish(d.lease(), DeploymentStatus.CLONING, failed)).isEqualTo(1);
        // The retry of that finish matches nothing (the lease is cleared); the row holds its outcome.
        assertThat(dao.finish(d.lease(), DeploymentStatus.CLONING, failed)).isZero();
        assertThat(dao.holdsOutcome(d.lease(), failed)).isTrue();
        assertThat(dao.holdsOutcome(d.lease(), new Outcome(DeploymentStatus.BUILD_FAILED,
                BuildQueue.INTERRUPTED_MESSAGE, null, null))).as("another sentence").isFalse();
        assertThat(dao.holdsOutcome(new Lease(d.id(), "node-a", d.attempt() + 1), failed))
                .as("another attempt").isFalse();
    }

    @Test
    void expiredLease_isRequeuedOnce_thenFailedAsInterrupted() {
        Deployment d = fx.pending(app);
        claim("node-a");
        expireLeases();
        assertThat(dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE))
                .containsExactly(new DeploymentDao.Reaped(d.id(), DeploymentStatus.PENDING));
        Deployment again = claim("node-b");
        assertThat(again.id()).isEqualTo(d.id());
        assertThat(again.attempt()).isEqualTo(2);
        expireLeases();
        assertThat(dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE))
                .containsExactly(new DeploymentDao.Reaped(d.id(), DeploymentStatus.BUILD_FAILED));
        Deployment failed = fx.reload(d);
        assertThat(failed.errorMessage()).isEqualTo("interrupted: the build node stopped");
        assertThat(failed.buildFinishedAt()).isNotNull();
    }

    @Test
    void expiredLease_isReapedOnlyOnceItStayedExpiredForTheGrace_andNeverByItsOwnNode() {
        Deployment d = fx.pending(app);
        Deployment mine = claim("node-a");
        expireLeases();
        var own = new DeploymentDao.ReapRequest("node-a", new long[] {d.id()}, 2, BuildQueue.INTERRUPTED_MESSAGE, 0);
        assertThat(dao.reapExpired(own)).as("node A runs it: alive whatever the lease says").isEmpty();
        assertThat(dao.reapExpired(own)).isEmpty();
        var other = new DeploymentDao.ReapRequest("node-b", new long[0], 2, BuildQueue.INTERRUPTED_MESSAGE, 60_000);
        assertThat(dao.reapExpired(other)).as("first seen expired").isEmpty();
        assertThat(dao.reapExpired(other)).as("still within the grace").isEmpty();
        // Node A gets through and renews: the lease is alive again; the grace starts over at the next expiry.
        assertThat(dao.renew("node-a", 60_000, new long[] {d.id()}, new int[] {mine.attempt()})).hasSize(1);
        assertThat(dao.reapExpired(other)).isEmpty();
        expireLeases();
        assertThat(dao.reapExpired(other)).isEmpty();
        jdbi.useHandle(h -> h.execute(
                "UPDATE deployments SET lease_lapsed_at = now() - interval '2 minutes' WHERE id = ?", d.id()));
        assertThat(dao.reapExpired(other)).containsExactly(new DeploymentDao.Reaped(d.id(), DeploymentStatus.PENDING));
        assertThat(reapedFrom(d)).isEqualTo("node-a");
        assertThat(fx.reload(d).attempt()).isEqualTo(1);
    }

    @Test
    void renewal_clearsANotedExpiry() {
        Deployment d = fx.pending(app);
        Deployment mine = claim("node-a");
        expireLeases();
        dao.noteLapsed(new DeploymentDao.ReapRequest("node-b", new long[0], 2, BuildQueue.INTERRUPTED_MESSAGE, 0));
        dao.renew("node-a", 60_000, new long[] {d.id()}, new int[] {mine.attempt()});
        boolean cleared = jdbi.withHandle(h -> h.createQuery(
                "SELECT lease_lapsed_at IS NULL FROM deployments WHERE id = ?").bind(0, d.id()).mapTo(Boolean.class).one());
        assertThat(cleared).isTrue();
    }

    @Test
    void takeBack_onlyByTheReapedNode_whileItIsPendingOnTheSameAttempt() {
        Deployment d = fx.pending(app);
        Deployment mine = claim("node-a");
        expireLeases();
        dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE);
        assertThat(dao.takeBack(new Lease(d.id(), "node-b", 1), DeploymentStatus.BUILDING, 60_000)).isZero();
        assertThat(dao.takeBack(new Lease(d.id(), "node-a", 0), DeploymentStatus.BUILDING, 60_000)).isZero();
        assertThat(dao.takeBack(mine.lease(), DeploymentStatus.BUILDING, 60_000)).isEqualTo(1);
        Deployment back = fx.reload(d);
        assertThat(back.status()).isEqualTo(DeploymentStatus.BUILDING);
        assertThat(back.leaseOwner()).isEqualTo("node-a");
        assertThat(back.attempt()).as("the outage spent no attempt").isEqualTo(1);
        assertThat(reapedFrom(d)).isNull();
        assertThat(dao.takeBack(mine.lease(), DeploymentStatus.BUILDING, 60_000)).as("only once").isZero();

        // Reaped again, and claimed by node B before node A gets through: B builds, A cannot take it.
        expireLeases();
        dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE);
        Deployment theirs = claim("node-b");
        assertThat(theirs.attempt()).isEqualTo(2);
        assertThat(dao.takeBack(mine.lease(), DeploymentStatus.BUILDING, 60_000)).isZero();
        assertThat(fx.reload(d).leaseOwner()).isEqualTo("node-b");
    }

    @Test
    void aFailureByTheReaper_ofANodeThatWasOnlyCutOff_getsTheSentenceOfWhatHappened() {
        Deployment d = fx.pending(app);
        Deployment mine = claim("node-a");
        expireLeases();
        dao.reapExpired(1, BuildQueue.INTERRUPTED_MESSAGE);
        assertThat(fx.reload(d).errorMessage()).isEqualTo(BuildQueue.INTERRUPTED_MESSAGE);
        String sentence = BuildQueue.lostContact(java.time.Duration.ofSeconds(65));
        assertThat(dao.explainInterruption(new Lease(d.id(), "node-b", 1), BuildQueue.INTERRUPTED_MESSAGE, sentence))
                .isZero();
        assertThat(dao.explainInterruption(mine.lease(), BuildQueue.INTERRUPTED_MESSAGE, sentence)).isEqualTo(1);
        Deployment failed = fx.reload(d);
        assertThat(failed.status()).isEqualTo(DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("the build's node lost contact with the database for 65 s");
    }

    @Test
    void claim_skipsTheRowsTheNodeStillRuns() {
        Deployment d = fx.pending(app);
        claim("node-a");
        expireLeases();
        dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE);
        assertThat(dao.claimNext(new ClaimRequest("node-a", 30_000, new long[] {d.id()}))).isEmpty();
        assertThat(dao.claimNext(new ClaimRequest("node-b", 30_000, new long[0]))).map(Deployment::id).contains(d.id());
    }

    private String reapedFrom(Deployment d) {
        return jdbi.withHandle(h -> h.createQuery("SELECT reaped_from FROM deployments WHERE id = ?")
                .bind(0, d.id()).mapTo(String.class).one());
    }

    @Test
    void liveLeases_areNotReaped() {
        fx.pending(app);
        claim("node-a");
        assertThat(dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE)).isEmpty();
    }

    @Test
    void expiredLeaseWithCancelRequest_endsCancelled() {
        Deployment d = fx.pending(app);
        claim("node-a");
        dao.requestCancel(d.id());
        expireLeases();
        dao.reapExpired(2, BuildQueue.INTERRUPTED_MESSAGE);
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.CANCELLED);
    }

    @Test
    void releaseOwned_requeuesWithoutSpendingAnAttempt() {
        Deployment mine = fx.pending(app);
        Deployment theirs = fx.pending(other);
        Deployment stuck = fx.pending(fx.app(fx.team("globex"), "stuck"));
        claim("node-a");
        claim("node-b");
        claim("node-a");
        // A build whose worker is still stuck keeps its row; the others go back.
        assertThat(dao.releaseOwned("node-a", new long[] {stuck.id()})).containsExactly(mine.id());
        assertThat(fx.reload(stuck).status()).isEqualTo(DeploymentStatus.CLONING);
        Deployment released = fx.reload(mine);
        assertThat(released.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(released.attempt()).isZero();
        assertThat(released.leaseOwner()).isNull();
        assertThat(fx.reload(theirs).status()).isEqualTo(DeploymentStatus.CLONING);
    }

    @Test
    void renew_extendsOnlyOwnRows_andReportsCancelRequests() {
        Deployment d = fx.pending(app);
        Deployment claimed = claim("node-a");
        dao.requestCancel(d.id());
        List<DeploymentDao.Renewal> renewed = dao.renew("node-a", 60_000, new long[] {d.id()}, new int[] {1});
        assertThat(renewed).containsExactly(new DeploymentDao.Renewal(d.id(), true));
        assertThat(fx.reload(d).leaseExpiresAt()).isAfter(claimed.leaseExpiresAt());
        assertThat(dao.renew("node-b", 60_000, new long[] {d.id()}, new int[] {1})).isEmpty();
        // An older claim of the same row by the same node is not this claim.
        assertThat(dao.renew("node-a", 60_000, new long[] {d.id()}, new int[] {0})).isEmpty();
    }

    @Test
    void list_isNewestFirst_andKeysetPaged() {
        Deployment d1 = fx.pending(app);
        Deployment d2 = fx.pending(app);
        Deployment d3 = fx.pending(app);
        fx.pending(other);
        assertThat(dao.list(new DeploymentDao.Page(app.id(), null, 2))).extracting(Deployment::id)
                .containsExactly(d3.id(), d2.id());
        assertThat(dao.list(new DeploymentDao.Page(app.id(), d2.id(), 2))).extracting(Deployment::id)
                .containsExactly(d1.id());
    }

    private static String sqlList(java.util.Set<DeploymentStatus> statuses) {
        return "(" + java.util.Arrays.stream(DeploymentStatus.values()).filter(statuses::contains)
                .map(st -> "'" + st.dbValue() + "'").collect(java.util.stream.Collectors.joining(", ")) + ")";
    }

    private void expireLeases() {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET lease_expires_at = now() - interval '1 second' "
                + "WHERE lease_owner IS NOT NULL"));
    }

    @Test
    void everyStatementThatNamesTheRunningStatuses_listsExactlyDeploymentStatusActive() {
        // The SQL spells the lists out (no template engine); they must stay in step with the enum:
        // every list is either the running statuses or the not-yet-started ones.
        String active = sqlList(DeploymentStatus.ACTIVE);
        String notStarted = sqlList(DeploymentStatus.NOT_STARTED);
        assertThat(DeploymentStatus.NOT_STARTED_SQL).isEqualTo(notStarted);
        int checked = 0;
        for (var method : DeploymentDao.class.getDeclaredMethods()) {
            String sql = sqlOf(method);
            var lists = java.util.regex.Pattern.compile("status (?:NOT )?IN (\\([^)]*\\))").matcher(sql);
            while (lists.find()) {
                assertThat(lists.group(1)).as(method.getName()).isIn(active, notStarted);
                if (lists.group(1).equals(active)) {
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
    }

    @Test
    void thePartialIndexesOnRunningRows_haveTheSameStatusesAsTheQueries() {
        // PostgreSQL uses a partial index only for a query whose predicate implies the index's.
        var active = DeploymentStatus.ACTIVE.stream().map(DeploymentStatus::dbValue).toList();
        for (String index : List.of("deployments_leases", "deployments_one_active_build_per_app")) {
            String predicate = jdbi.withHandle(h -> h.createQuery(
                    "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = CAST(:i AS regclass)")
                    .bind("i", index).mapTo(String.class).one());
            var quoted = java.util.regex.Pattern.compile("'([a-z_]+)'").matcher(predicate);
            List<String> listed = new java.util.ArrayList<>();
            while (quoted.find()) {
                listed.add(quoted.group(1));
            }
            assertThat(listed).as(index).containsExactlyInAnyOrderElementsOf(active);
        }
    }

    private static String sqlOf(java.lang.reflect.Method method) {
        var query = method.getAnnotation(org.jdbi.v3.sqlobject.statement.SqlQuery.class);
        var update = method.getAnnotation(org.jdbi.v3.sqlobject.statement.SqlUpdate.class);
        return query != null ? query.value() : update != null ? update.value() : "";
    }
}
