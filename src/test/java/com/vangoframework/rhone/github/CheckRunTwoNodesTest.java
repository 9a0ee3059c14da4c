package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every node hears of a deployment's changes: the one that took the request and the one that
 * builds it both report its Check Run. They must not both create one (GitHub would show a second
 * run on the commit, stuck at queued for ever, since only the recorded one is ever updated).
 */
class CheckRunTwoNodesTest {

    private static final long INSTALLATION = 77;

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @Test
    void twoNodesReportTheSameNewDeploymentAtOnce_oneCheckRunIsCreated() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        App app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(fx.team("acme").id(), "web", "acme/web",
                INSTALLATION, null, "main", 600));
        Deployment d = jdbi.withHandle(h -> DeploymentService.insert(h, NewDeployment.manual(app.id(), "main",
                "a".repeat(40))));
        try (FakeGitHub github = new FakeGitHub(INSTALLATION, "ghs_two_nodes", "acme/web")) {
            // A slow GitHub: the second node asks while the first node's creation is on its way.
            github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).willReturn(aResponse()
                    .withStatus(201).withFixedDelay(1000).withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":901,\"name\":\"rhone\"}")));
            github.server.stubFor(patch(urlEqualTo("/repos/acme/web/check-runs/901")).willReturn(aResponse()
                    .withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":901,\"name\":\"rhone\"}")));
            CheckRunReporter nodeA = reporter(jdbi, db, github);
            CheckRunReporter nodeB = reporter(jdbi, db, github);

            CountDownLatch go = new CountDownLatch(1);
            ExecutorService both = Executors.newFixedThreadPool(2);
            try {
                Future<?> a = both.submit(() -> {
                    await(go);
                    nodeA.report(d.id());
                    return null;
                });
                Future<?> b = both.submit(() -> {
                    await(go);
                    Thread.sleep(200); // while node A's request is with GitHub
                    nodeB.report(d.id());
                    return null;
                });
                go.countDown();
                a.get(20, TimeUnit.SECONDS);
                b.get(20, TimeUnit.SECONDS);
            } finally {
                both.shutdownNow();
            }
            // Node B, whose turn came later, finds the run recorded and only updates it.
            nodeB.report(d.id());

            github.server.verify(1, postRequestedFor(urlEqualTo("/repos/acme/web/check-runs")));
            assertThat(jdbi.onDemand(DeploymentDao.class).findById(d.id()).orElseThrow().checkRunId())
                    .isEqualTo(901L);
            assertThat(jdbi.onDemand(GitHubDao.class).reportedStatus(d.id())).contains("pending");
        }
    }

    private CheckRunReporter reporter(Jdbi jdbi, DatabaseTarget db, FakeGitHub github) throws Exception {
        InstallationTokens tokens = new InstallationTokens(github.url(),
                new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("log-flusher"));
        return new CheckRunReporter(jdbi, db, jdbi.onDemand(DeploymentDao.class), jdbi.onDemand(AppDao.class), logs,
                new GitHubClients(github.url(), tokens, Clock.systemUTC()), "rhone", "https://rhone.example.test");
    }

    private static void await(CountDownLatch go) throws InterruptedException {
        if (!go.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("never started");
        }
    }
}
