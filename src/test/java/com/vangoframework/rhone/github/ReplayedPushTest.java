package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captured signed deliveries sent again under new delivery ids, and pushes delivered out of order,
 * against the running service over HTTP. A replay is the captured body and signature byte for byte:
 * nothing about it can be told from a genuine delivery but its delivery id and what rhone recorded
 * of the branch. The build queue is off, so what deliveries create stays pending.
 */
class ReplayedPushTest {

    static final String SECRET = "webhook-secret-" + UUID.randomUUID();
    static final WebhookSignature SIGNER = new WebhookSignature(SECRET);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final long INSTALLATION = 4343;

    @TempDir
    static Path dir;
    static TestService service;
    static Jdbi jdbi;
    static Fixtures fx;
    static App app;
    /** Another app of the same repository, building its staging branch. */
    static App staging;
    static DeploymentDao deployments;

    /** A signed delivery as it crossed the network: what someone who captured it can send again. */
    record Captured(String event, byte[] body, String signature) {
        static Captured of(String event, ObjectNode payload) throws Exception {
            byte[] body = JSON.writeValueAsBytes(payload);
            return new Captured(event, body, SIGNER.sign(body));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), "web", "acme/web", INSTALLATION, null,
                "main", 1800));
        staging = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), "web-staging", "acme/web",
                INSTALLATION, null, "staging", 1800));
        deployments = jdbi.onDemand(DeploymentDao.class);
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    @BeforeEach
    void clean() {
        jdbi.useHandle(h -> {
            h.execute("DELETE FROM webhook_deliveries");
            h.execute("DELETE FROM deployments");
        });
    }

    static String sha() {
        return UUID.randomUUID().toString().replace("-", "") + "01234567";
    }

    static Captured push(String branch, String before, String after) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("ref", "refs/heads/" + branch).put("before", before).put("after", after).put("deleted", false);
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        ObjectNode head = p.putObject("head_commit");
        head.put("id", after).put("message", "commit " + after.substring(0, 7));
        head.putObject("author").put("name", "Grace Hopper");
        return Captured.of("push", p);
    }

    static Captured pullRequest(String action, int number, String before, String head) throws Exception {
        ObjectNode p = JSON.createObjectNode().put("action", action).put("number", number);
        if (before != null) {
            p.put("before", before).put("after", head);
        }
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        ObjectNode pr = p.putObject("pull_request").put("number", number).put("title", "Improve things");
        pr.putObject("head").put("sha", head).put("ref", "feature").putObject("repo").put("full_name", "acme/web");
        pr.putObject("base").put("ref", "main");
        pr.putObject("user").put("login", "octocat");
        return Captured.of("pull_request", p);
    }

    static HttpResponse<String> send(Captured c, String deliveryId) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                .header("Content-Type", "application/json").header("X-GitHub-Event", c.event())
                .header("X-GitHub-Delivery", deliveryId).header("X-Hub-Signature-256", c.signature())
                .POST(HttpRequest.BodyPublishers.ofByteArray(c.body())).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Delivers {@code c} under {@code deliveryId} and returns the one deployment it created. */
    static Deployment created(Captured c, String deliveryId) throws Exception {
        HttpResponse<String> r = send(c, deliveryId);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        List<Long> ids = recordedIds(deliveryId);
        assertThat(ids).hasSize(1);
        return deployments.findById(ids.get(0)).orElseThrow();
    }

    static List<Deployment> all() {
        return deployments.list(new DeploymentDao.Page(app.id(), null, 100));
    }

    static String outcome(String delivery) {
        return jdbi.withHandle(h -> h.createQuery("SELECT outcome FROM webhook_deliveries WHERE delivery_id = ?")
                .bind(0, delivery).mapTo(String.class).one());
    }

    static List<Long> recordedIds(String delivery) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT unnest(deployment_ids) FROM webhook_deliveries WHERE delivery_id = ?")
                .bind(0, delivery).mapTo(Long.class).list());
    }

    static String beforeSha(Deployment d) {
        return jdbi.withHandle(h -> h.createQuery("SELECT before_sha FROM deployments WHERE id = ?")
                .bind(0, d.id()).mapTo(String.class).one());
    }

    static Deployment awaitCancelled(Deployment d) {
        await().atMost(Duration.ofSeconds(20)).until(() -> fx.reload(d).status() == DeploymentStatus.CANCELLED);
        return fx.reload(d);
    }

    static void finish(Deployment d, DeploymentStatus status) {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = ?, build_finished_at = now() WHERE id = ?",
                status.dbValue(), d.id()));
    }

    /** Refused: answered 200, recorded with its reason, nothing created; the rest as it was. */
    static void assertRefused(Captured c, String deliveryId, String reason) throws Exception {
        long before = fx.count("deployments");
        HttpResponse<String> r = send(c, deliveryId);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("duplicate").asBoolean()).isFalse();
        assertThat(outcome(deliveryId)).isEqualTo(reason);
        assertThat(recordedIds(deliveryId)).isEmpty();
        assertThat(fx.count("deployments")).isEqualTo(before);
    }

    @Test
    void aPushWithAMalformedBefore_is400_recordedAsRejected_andCreatesNothing() throws Exception {
        for (String bad : List.of("not-a-sha", sha().toUpperCase(java.util.Locale.ROOT), sha() + "\n",
                sha().substring(1) + "\u0000")) {
            String delivery = "bad-" + UUID.randomUUID();
            HttpResponse<String> r = send(push("main", bad, sha()), delivery);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).get("message").asText())
                    .isEqualTo("before is not a 40-character commit SHA");
            assertThat(outcome(delivery)).isEqualTo("rejected: before is not a 40-character commit SHA");
        }
        assertThat(all()).isEmpty();
    }

    @Test
    void aPushRecordsItsBefore_andAPushThatCreatedTheBranchHasNone() throws Exception {
        String a0 = sha();
        String a1 = sha();
        Deployment created = created(push("main", "0".repeat(40), a0), "c-1");
        assertThat(beforeSha(created)).isNull();
        Deployment next = created(push("main", a0, a1), "c-2");
        assertThat(beforeSha(next)).isEqualTo(a0);
        assertThat(next.commitSha()).isEqualTo(a1);
    }

    @Test
    void aReplayedOldPush_underANewDeliveryId_isRefused_andDoesNotSupersedeTheNewerPendingOne() throws Exception {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        Captured pushA = push("main", a0, a1);
        Deployment a = created(pushA, "r-1");
        Deployment b = created(push("main", a1, b1), "r-2");
        assertThat(awaitCancelled(a).supersededBy()).isEqualTo(b.id());

        assertRefused(pushA, "r-1-replayed", "ignored: " + a1.substring(0, 12) + " is already built or requested "
                + "for main");
        // Its follow-up would have run by now had anything been created; B is still the one to build.
        assertThat(fx.reload(b).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(fx.reload(b).supersededBy()).isNull();
        // The original delivery id is still a plain redelivery.
        assertThat(JSON.readTree(send(pushA, "r-1").body()).get("duplicate").asBoolean()).isTrue();
        assertThat(all()).hasSize(2);
    }

    @Test
    void anOlderPushDeliveredAfterANewerOne_isRefusedAsStale() throws Exception {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        Captured pushA = push("main", a0, a1);
        Deployment b = created(push("main", a1, b1), "o-2");
        assertRefused(pushA, "o-1", "ignored: a newer push to main already moved past " + a1.substring(0, 12));
        assertThat(fx.reload(b).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(fx.reload(b).supersededBy()).isNull();
    }

    @Test
    void aReplayOfAPushWhoseBuildFinished_isRefused_whateverTheBuildCameTo() throws Exception {
        String a0 = sha();
        String a1 = sha();
        Captured pushA = push("main", a0, a1);
        Deployment built = created(pushA, "f-1");
        finish(built, DeploymentStatus.BUILT);
        assertRefused(pushA, "f-1-replayed", "ignored: " + a1.substring(0, 12) + " is already built or requested "
                + "for main");
        Captured pushB = push("main", a1, sha());
        Deployment failed = created(pushB, "f-2");
        finish(failed, DeploymentStatus.BUILD_FAILED);
        assertRefused(pushB, "f-2-replayed", "ignored: " + failed.commitSha().substring(0, 12)
                + " is already built or requested for main");
        assertThat(all()).extracting(Deployment::id).containsExactlyInAnyOrder(built.id(), failed.id());
    }

    @Test
    void aGenuineNewPush_stillSupersedesThePendingOne_andAnotherBranchOrAppIsNotAffected() throws Exception {
        String a0 = sha();
        String a1 = sha();
        Deployment a = created(push("main", a0, a1), "g-1");
        // The same push to another branch, built by another app: main's history says nothing about it.
        Deployment other = created(push("staging", a0, a1), "g-2");
        assertThat(other.appId()).isEqualTo(staging.id());
        String b1 = sha();
        Deployment b = created(push("main", a1, b1), "g-3");
        assertThat(awaitCancelled(a).supersededBy()).isEqualTo(b.id());
        assertThat(fx.reload(a).errorMessage()).isEqualTo("superseded by " + b1.substring(0, 12));
        // A push whose before rhone never saw (a [skip ci] push came between): the chain says nothing.
        Deployment c = created(push("main", sha(), sha()), "g-4");
        assertThat(awaitCancelled(b).supersededBy()).isEqualTo(c.id());
        assertThat(fx.reload(c).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(fx.reload(other).status()).isEqualTo(DeploymentStatus.PENDING);
    }

    @Test
    void aForcePushBackToAnEarlierCommit_isBuilt_butItsReplayIsNot() throws Exception {
        String a0 = sha();
        String a1 = sha();
        String b1 = sha();
        String c1 = sha();
        finish(created(push("main", a0, a1), "b-1"), DeploymentStatus.BUILT);
        finish(created(push("main", a1, b1), "b-2"), DeploymentStatus.BUILT);
        // git reset --hard HEAD~1 && git push --force: main goes back from b1 to a1.
        Captured back = push("main", b1, a1);
        Deployment rolledBack = created(back, "b-3");
        assertThat(rolledBack.commitSha()).isEqualTo(a1);
        finish(rolledBack, DeploymentStatus.BUILT);
        assertRefused(back, "b-3-replayed", "ignored: " + a1.substring(0, 12) + " is already built or requested "
                + "for main");
        // Forward again to a new commit, then back over two pushes at once.
        finish(created(push("main", a1, c1), "b-4"), DeploymentStatus.BUILT);
        String d1 = sha();
        finish(created(push("main", c1, d1), "b-5"), DeploymentStatus.BUILT);
        Deployment twoBack = created(push("main", d1, a1), "b-6");
        assertThat(twoBack.commitSha()).isEqualTo(a1);
        // The first force-push back, replayed now: the same before and after as a recorded push.
        assertRefused(back, "b-3-again", "ignored: " + a1.substring(0, 12) + " is already built or requested "
                + "for main");
    }

    @Test
    void aReplayedPullRequestUpdate_isRefused_butAReopenedPullRequestIsBuiltAgain() throws Exception {
        String h1 = sha();
        String h2 = sha();
        Captured opened = pullRequest("opened", 7, null, h1);
        Deployment first = created(opened, "p-1");
        Captured synchronize = pullRequest("synchronize", 7, h1, h2);
        Deployment second = created(synchronize, "p-2");
        assertThat(beforeSha(second)).isEqualTo(h1);
        assertThat(awaitCancelled(first).supersededBy()).isEqualTo(second.id());

        assertRefused(synchronize, "p-2-replayed", "ignored: " + h2.substring(0, 12)
                + " is already built or requested for pull request #7");
        assertRefused(opened, "p-1-replayed", "ignored: " + h1.substring(0, 12)
                + " is already built or requested for pull request #7");
        assertThat(fx.reload(second).status()).isEqualTo(DeploymentStatus.PENDING);
        // Another pull request's history is its own.
        created(pullRequest("opened", 8, null, h1), "p-3");

        send(pullRequest("closed", 7, null, h2), "p-4");
        assertThat(fx.reload(second).status()).isEqualTo(DeploymentStatus.CANCELLED);
        Deployment reopened = created(pullRequest("reopened", 7, null, h2), "p-5");
        assertThat(reopened.commitSha()).isEqualTo(h2);
        assertThat(reopened.status()).isEqualTo(DeploymentStatus.PENDING);
    }
}
