package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.deployments.DeploymentDao.ClaimRequest;
import com.vangoframework.rhone.deployments.DeploymentDao.Outcome;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * builds.oneTeamAtATime on real PostgreSQL: claimers racing as separate nodes (each claim on its
 * own connection) over two teams' interleaved pending builds never leave builds of two teams
 * running at once; without the option the same workload does run them together.
 */
class OneTeamAtATimeTest {

    private Jdbi jdbi;
    private DeploymentDao dao;
    private Fixtures fx;
    private Team red;
    private Team blue;

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        dao = jdbi.onDemand(DeploymentDao.class);
        fx = new Fixtures(jdbi);
        red = fx.team("red");
        blue = fx.team("blue");
    }

    /** Teams with builds in cloning..pushing right now, as the database sees it. */
    private int runningTeams() {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(DISTINCT a.team_id) FROM deployments d JOIN apps a ON a.id = d.app_id
                 WHERE d.status IN""" + " " + DeploymentStatus.ACTIVE_SQL).mapTo(Integer.class).one());
    }

    /** Each team gets {@code appsPerTeam} apps with one pending build each, requested alternately. */
    private List<Deployment> interleavedPending(int appsPerTeam) {
        List<Deployment> rows = new ArrayList<>();
        for (int i = 0; i < appsPerTeam; i++) {
            rows.add(fx.pending(fx.app(red, "red-" + i)));
            rows.add(fx.pending(fx.app(blue, "blue-" + i)));
        }
        return rows;
    }

    /**
     * Two claimers (nodes "a" and "b") start together and claim until the queue is empty, each
     * holding what it claimed briefly before finishing it. Returns the most teams seen running
     * at once, by each claimer right after its claims and by a watcher polling throughout.
     */
    private int mostTeamsRunningAtOnce(Function<ClaimRequest, Optional<Deployment>> claim, int total)
            throws Exception {
        AtomicInteger most = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentHashMap<Long, String> claimedBy = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (String node : List.of("a", "b")) {
            threads.add(new Thread(() -> {
                try {
                    go.await();
                    List<Deployment> held = new ArrayList<>();
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (finished.get() < total && System.nanoTime() < deadline) {
                        // Up to two builds per node, as with maxConcurrent 2.
                        Optional<Deployment> got = held.size() < 2 ? claim.apply(new ClaimRequest(node, 30_000))
                                : Optional.empty();
                        if (got.isPresent()) {
                            assertThat(claimedBy.put(got.get().id(), node)).as("claimed twice").isNull();
                            held.add(got.get());
                            most.accumulateAndGet(runningTeams(), Math::max);
                            continue;
                        }
                        if (!held.isEmpty()) {
                            Thread.sleep(15);
                            Deployment d = held.remove(0);
                            assertThat(dao.finish(d.lease(), DeploymentStatus.CLONING,
                                    new Outcome(DeploymentStatus.BUILT, null, "t", null))).isEqualTo(1);
                            finished.incrementAndGet();
                        } else {
                            Thread.sleep(2);
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }, "claimer-" + node));
        }
        Thread watcher = new Thread(() -> {
            while (finished.get() < total && failures.isEmpty()) {
                most.accumulateAndGet(runningTeams(), Math::max);
            }
        }, "watcher");
        threads.forEach(Thread::start);
        watcher.start();
        go.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(40));
        }
        watcher.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(failures).isEmpty();
        assertThat(finished.get()).as("every build ran").isEqualTo(total);
        return most.get();
    }

    @Test
    void withTheOption_twoNodesNeverRunTwoTeamsBuildsAtOnce_andEveryBuildStillRuns() throws Exception {
        for (int round = 0; round < 5; round++) {
            List<Deployment> rows = interleavedPending(3);
            int most = mostTeamsRunningAtOnce(dao::claimNextOneTeamAtATime, rows.size());
            assertThat(most).as("teams running at once, round " + round).isEqualTo(1);
            jdbi.useHandle(h -> h.execute("DELETE FROM apps"));
        }
    }

    @Test
    void withoutTheOption_theSameWorkloadRunsBothTeamsAtOnce() throws Exception {
        List<Deployment> rows = interleavedPending(3);
        assertThat(mostTeamsRunningAtOnce(dao::claimNext, rows.size())).isEqualTo(2);
    }

    @Test
    void teamsTakeTurnsInRequestOrder_aBusyTeamDoesNotJumpAnOlderRequestOfAnother() {
        App red1 = fx.app(red, "r1");
        App red2 = fx.app(red, "r2");
        App blue1 = fx.app(blue, "b1");
        Deployment r1 = fx.pending(red1);
        Deployment b1 = fx.pending(blue1);
        Deployment r2 = fx.pending(red2);
        assertThat(dao.claimNextOneTeamAtATime(new ClaimRequest("a", 30_000))).map(Deployment::id).contains(r1.id());
        // red runs; blue's request is older than red's second, so red's second waits too.
        assertThat(dao.claimNextOneTeamAtATime(new ClaimRequest("a", 30_000))).isEmpty();
        assertThat(dao.oldestStartablePendingOneTeamAtATime()).as("nothing startable: not a stuck queue").isEmpty();
        assertThat(dao.finish(fx.reload(r1).lease(), DeploymentStatus.CLONING,
                new Outcome(DeploymentStatus.BUILT, null, "t", null))).isEqualTo(1);
        assertThat(dao.claimNextOneTeamAtATime(new ClaimRequest("a", 30_000))).map(Deployment::id).contains(b1.id());
        assertThat(dao.claimNextOneTeamAtATime(new ClaimRequest("b", 30_000))).isEmpty();
        assertThat(fx.reload(r2).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void aClaimWaitsForTheClaimsLock_soClaimsOnAllNodesTakeTurns() throws Exception {
        Deployment r1 = fx.pending(fx.app(red, "r1"));
        try (var other = jdbi.open()) {
            other.begin();
            other.createQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(:key)) l")
                    .bind("key", DeploymentDao.ONE_TEAM_LOCK).mapTo(Integer.class).one();
            var claim = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> dao.claimNextOneTeamAtATime(new ClaimRequest("a", 30_000)));
            Thread.sleep(500);
            assertThat(claim).as("a claim while another node's claim holds the lock").isNotDone();
            other.commit();
            assertThat(claim.get(10, TimeUnit.SECONDS)).map(Deployment::id).contains(r1.id());
        }
    }
}
