package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deliveries signed exactly as GitHub signs them, against the running service. The build queue is
 * off here, so what a delivery creates stays pending and can be inspected.
 */
class WebhookTest {

    static final String SECRET = "webhook-secret-" + UUID.randomUUID();
    static final WebhookSignature SIGNER = new WebhookSignature(SECRET);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final long INSTALLATION = 4242;

    @TempDir
    static Path dir;
    static TestService service;
    static Jdbi jdbi;
    static Fixtures fx;
    static App app;
    static DeploymentDao deployments;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), "web", "Acme/Web", INSTALLATION, null,
                "main", 1800));
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
            h.execute("DELETE FROM github_installations"); // cascades to their repositories
        });
    }

    static String sha() {
        return UUID.randomUUID().toString().replace("-", "") + "01234567";
    }

    static ObjectNode push(String ref, String after, String message) {
        ObjectNode p = JSON.createObjectNode();
        p.put("ref", ref).put("before", sha()).put("after", after).put("deleted", false);
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        ObjectNode head = p.putObject("head_commit");
        head.put("id", after).put("message", message);
        head.putObject("author").put("name", "Grace Hopper");
        return p;
    }

    /** A check_run event about one of rhone's runs (its external id is the deployment's id). */
    static ObjectNode checkRun(String action, Deployment deployment, String headSha) {
        ObjectNode p = JSON.createObjectNode().put("action", action);
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        p.putObject("check_run").put("external_id", String.valueOf(deployment.id())).put("head_sha", headSha);
        return p;
    }

    static HttpResponse<String> deliver(String event, String delivery, byte[] body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (event != null) {
            b.header("X-GitHub-Event", event);
        }
        if (delivery != null) {
            b.header("X-GitHub-Delivery", delivery);
        }
        if (signature != null) {
            b.header("X-Hub-Signature-256", signature);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> deliver(String event, String delivery, JsonNode payload) throws Exception {
        byte[] body = JSON.writeValueAsBytes(payload);
        return deliver(event, delivery, body, SIGNER.sign(body));
    }

    static List<Deployment> all() {
        return deployments.list(new DeploymentDao.Page(app.id(), null, 100));
    }

    static long recorded() {
        return fx.count("webhook_deliveries");
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

    @Test
    void signedPushToTheAppsBranch_createsAPushDeployment() throws Exception {
        String after = sha();
        HttpResponse<String> r = deliver("push", "d-1", push("refs/heads/main", after, "Fix the thing\n\nDetails."));
        assertThat(r.statusCode()).isEqualTo(202);
        Deployment d = all().get(0);
        assertThat(d.trigger()).isEqualTo(DeploymentTrigger.PUSH);
        assertThat(d.commitSha()).isEqualTo(after);
        assertThat(d.commitMessage()).isEqualTo("Fix the thing\n\nDetails.");
        assertThat(d.commitAuthor()).isEqualTo("Grace Hopper");
        assertThat(d.branch()).isEqualTo("main");
        assertThat(outcome("d-1")).isEqualTo("deployment [" + d.id() + "] created");
        assertThat(recordedIds("d-1")).containsExactly(d.id());
    }

    @Test
    void aDatabaseFailureInsideADelivery_is500_rollsItsDeploymentBack_andLeaksNoConnection() throws Exception {
        // The delivery's record is its transaction's last statement, after the deployment's
        // insert: make the database refuse it for these ids, as a full disk or a lost primary would.
        jdbi.useHandle(h -> h.execute("""
                CREATE FUNCTION test_refuse_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
                CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON webhook_deliveries FOR EACH ROW
                    WHEN (NEW.delivery_id LIKE 'fail-%') EXECUTE FUNCTION test_refuse_delivery();"""));
        try {
            // More failures than the pool has connections: a connection kept by a failed
            // delivery would leave the next deliveries waiting for one.
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = deliver("push", "fail-" + i, push("refs/heads/main", sha(), "x"));
                assertThat(r.statusCode()).isEqualTo(500);
                assertThat(JSON.readTree(r.body()).get("message").asText())
                        .startsWith("the delivery could not be recorded").doesNotContain("refused for the test");
            }
            assertThat(all()).isEmpty();
            assertThat(recorded()).isZero();
            assertThat(deliver("push", "ok-1", push("refs/heads/main", sha(), "x")).statusCode()).isEqualTo(202);
            assertThat(all()).hasSize(1);
            assertThat(recordedIds("ok-1")).containsExactly(all().get(0).id());
        } finally {
            jdbi.useHandle(h -> h.execute("""
                    DROP TRIGGER test_refuse_delivery ON webhook_deliveries;
                    DROP FUNCTION test_refuse_delivery();"""));
        }
    }

    @Test
    void redelivery_answers2xx_andCreatesNothing() throws Exception {
        ObjectNode payload = push("refs/heads/main", sha(), "once");
        assertThat(deliver("push", "d-same", payload).statusCode()).isEqualTo(202);
        HttpResponse<String> again = deliver("push", "d-same", payload);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("duplicate").asBoolean()).isTrue();
        assertThat(all()).hasSize(1);
        assertThat(recorded()).isEqualTo(1);
    }

    @Test
    void theSameDeliveryArrivingConcurrently_createsOneDeployment() throws Exception {
        ObjectNode payload = push("refs/heads/main", sha(), "racing");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(() -> deliver("push", "d-race", payload)));
            }
            int created = 0;
            for (var a : answers) {
                int status = a.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode();
                assertThat(status).isIn(200, 202);
                created += status == 202 ? 1 : 0;
            }
            assertThat(created).isEqualTo(1);
            assertThat(all()).hasSize(1);
            assertThat(recorded()).isEqualTo(1);
            assertThat(outcome("d-race")).isEqualTo("deployment [" + all().get(0).id() + "] created");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unsignedOrWronglySigned_is401_andNothingIsRecorded() throws Exception {
        byte[] body = JSON.writeValueAsBytes(push("refs/heads/main", sha(), "x"));
        assertThat(deliver("push", "d-2", body, null).statusCode()).isEqualTo(401);
        assertThat(deliver("push", "d-3", body, new WebhookSignature("other").sign(body)).statusCode()).isEqualTo(401);
        byte[] tampered = JSON.writeValueAsBytes(push("refs/heads/main", sha(), "y"));
        assertThat(deliver("push", "d-4", tampered, SIGNER.sign(body)).statusCode()).isEqualTo(401);
        assertThat(recorded()).isZero();
        assertThat(all()).isEmpty();
    }

    @Test
    void oversizedMalformedOrHeaderless_areRefused_andOnlyASignedMalformedOneIsRecorded_asRejected()
            throws Exception {
        byte[] huge = new byte[WebhookServlet.MAX_BODY_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        assertThat(deliver("push", "d-5", huge, SIGNER.sign(huge)).statusCode()).isEqualTo(413);
        byte[] broken = "{\"ref\": ".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> malformed = deliver("push", "d-6", broken, SIGNER.sign(broken));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("not valid JSON");
        // Trailing tokens after the object: the body as a whole is not JSON.
        byte[] trailing = (JSON.writeValueAsString(push("refs/heads/main", sha(), "x")) + " x")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(deliver("push", "d-6b", trailing, SIGNER.sign(trailing)).statusCode()).isEqualTo(400);
        byte[] ok = JSON.writeValueAsBytes(push("refs/heads/main", sha(), "x"));
        assertThat(deliver(null, "d-7", ok, SIGNER.sign(ok)).statusCode()).isEqualTo(400);
        assertThat(deliver("push", null, ok, SIGNER.sign(ok)).statusCode()).isEqualTo(400);
        // Another method: a JSON 405 that says what is allowed, in the API's error shape.
        HttpResponse<String> get = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(service.url()
                + "/webhooks/github")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(get.body()).startsWith("{\"code\":405,\"message\":");
        // Signed and carrying a delivery id, the malformed ones are recorded as rejected (so the
        // redelivery job does not ask for them again); the rest could not be, and nothing else is.
        assertThat(recorded()).isEqualTo(2);
        assertThat(outcome("d-6")).isEqualTo("rejected: the delivery body is not valid JSON");
        assertThat(outcome("d-6b")).isEqualTo("rejected: the delivery body is not valid JSON");
        assertThat(all()).isEmpty();
    }

    @Test
    void invalidShaOrBranchName_is400_recordedAsRejected_andChangesNothingElse() throws Exception {
        assertThat(deliver("push", "d-8", push("refs/heads/main", "not-a-sha", "x")).statusCode()).isEqualTo(400);
        assertThat(deliver("push", "d-9", push("refs/heads/bad..name", sha(), "x")).statusCode()).isEqualTo(400);
        // Strict: a SHA is not mended (upper case, a trailing newline, a NUL).
        String good = sha();
        assertThat(deliver("push", "d-10", push("refs/heads/main", good.toUpperCase(java.util.Locale.ROOT), "x"))
                .statusCode()).isEqualTo(400);
        assertThat(deliver("push", "d-11", push("refs/heads/main", good + "\n", "x")).statusCode()).isEqualTo(400);
        assertThat(deliver("push", "d-12", push("refs/heads/main", good.substring(1) + "\u0000", "x")).statusCode())
                .isEqualTo(400);
        assertThat(outcome("d-8")).isEqualTo("rejected: after is not a 40-character commit SHA");
        assertThat(outcome("d-9")).startsWith("rejected: branch is not a valid git branch name");
        assertThat(recorded()).isEqualTo(5);
        assertThat(all()).isEmpty();
        // A redelivery of a rejected delivery is recognised and creates nothing.
        HttpResponse<String> again = deliver("push", "d-8", push("refs/heads/main", sha(), "x"));
        assertThat(JSON.readTree(again.body()).get("duplicate").asBoolean()).isTrue();
        assertThat(all()).isEmpty();
    }

    @Test
    void aCompressedDelivery_is415InTheErrorShape_andNothingIsRecordedOrCreated() throws Exception {
        byte[] body = JSON.writeValueAsBytes(push("refs/heads/main", sha(), "x"));
        HttpResponse<String> r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(service.url()
                        + "/webhooks/github")).header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").header("X-GitHub-Event", "push").header("X-GitHub-Delivery", "z-1")
                .header("X-Hub-Signature-256", SIGNER.sign(body))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(JSON.readTree(r.body()).get("message").asText()).startsWith("Content-Encoding is not supported");
        assertThat(all()).isEmpty();
        assertThat(recorded()).isZero();
    }

    @Test
    void aNulInTheTextADeliveryIsRecordedWith_isStoredVisibly_notA500() throws Exception {
        HttpResponse<String> r = deliver("push", "nul-1", push("refs/tags/v1\u0000evil", sha(), "x"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(outcome("nul-1")).isEqualTo("ignored: refs/tags/v1\u2400evil is not a branch");
        ObjectNode star = JSON.createObjectNode().put("action", "cre\u0000ated");
        assertThat(deliver("star", "nul-2", star).statusCode()).isEqualTo(200);
        String action = jdbi.withHandle(h -> h.createQuery("SELECT action FROM webhook_deliveries WHERE delivery_id = ?")
                .bind(0, "nul-2").mapTo(String.class).one());
        assertThat(action).isEqualTo("cre\u2400ated");
    }

    @Test
    void signedInstallationDeliveries_withNullRepositoriesOrNoInstallation_are400_andWriteNothing()
            throws Exception {
        ObjectNode added = JSON.createObjectNode().put("action", "added");
        added.putObject("installation").put("id", 78).putObject("account").put("login", "initech");
        added.putArray("repositories_added").addObject().put("full_name", "initech/ok");
        added.withArray("repositories_added").addObject().putNull("id").putNull("full_name");
        added.putArray("repositories_removed");
        HttpResponse<String> nulls = deliver("installation_repositories", "ir-n1", added);
        assertThat(nulls.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(nulls.body()).get("message").asText())
                .isEqualTo("repositories_added[1].full_name must be a GitHub repository as owner/name");

        ObjectNode noInstallation = JSON.createObjectNode().put("action", "created");
        noInstallation.putNull("installation");
        noInstallation.putArray("repositories");
        HttpResponse<String> none = deliver("installation", "ir-n2", noInstallation);
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(none.body()).get("message").asText())
                .isEqualTo("installation.id is missing or not a positive number");

        assertThat(fx.count("github_installations")).isZero();
        assertThat(fx.count("github_installation_repositories")).isZero();
        assertThat(outcome("ir-n1")).startsWith("rejected: repositories_added[1]");
        assertThat(outcome("ir-n2")).startsWith("rejected: installation.id");
    }

    @Test
    void unknownEvents_otherBranches_tags_deletions_andSkipMarkers_areRecordedAndIgnored() throws Exception {
        assertThat(deliver("star", "e-1", JSON.createObjectNode().put("action", "created")).statusCode()).isEqualTo(200);
        assertThat(outcome("e-1")).isEqualTo("ignored: star events are not used");
        deliver("push", "e-2", push("refs/heads/develop", sha(), "x"));
        assertThat(outcome("e-2")).isEqualTo("ignored: no app builds acme/web branch develop");
        deliver("push", "e-3", push("refs/tags/v1.0", sha(), "x"));
        assertThat(outcome("e-3")).isEqualTo("ignored: refs/tags/v1.0 is not a branch");
        ObjectNode deleted = push("refs/heads/main", "0".repeat(40), "x");
        deleted.put("deleted", true);
        deliver("push", "e-4", deleted);
        assertThat(outcome("e-4")).isEqualTo("ignored: refs/heads/main was deleted");
        for (String marker : List.of("[skip ci]", "[ci skip]", "[skip rhone]")) {
            String id = "e-skip-" + marker.hashCode();
            deliver("push", id, push("refs/heads/main", sha(), "docs only " + marker.toUpperCase()));
            assertThat(outcome(id)).isEqualTo("skipped: the commit message says " + marker);
        }
        ObjectNode ping = JSON.createObjectNode().put("zen", "Keep it logically awesome.");
        deliver("ping", "e-5", ping);
        assertThat(outcome("e-5")).isEqualTo("pong");
        assertThat(recordedIds("e-5")).isEmpty();
        assertThat(JSON.readTree(deliver("ping", "e-5", ping).body()).get("duplicate").asBoolean()).isTrue();
        ObjectNode ours = JSON.createObjectNode().put("action", "completed");
        ours.putObject("repository").put("full_name", "acme/web");
        ours.putObject("installation").put("id", INSTALLATION);
        deliver("check_run", "e-6", ours);
        assertThat(outcome("e-6")).isEqualTo("ignored: check_run completed");
        assertThat(all()).isEmpty();
        assertThat(recorded()).isEqualTo(9);
    }

    @Test
    void pullRequestOpened_buildsTheHeadSha_andClosedCancelsItsPendingBuild() throws Exception {
        String head = sha();
        ObjectNode pr = JSON.createObjectNode().put("action", "opened").put("number", 17);
        pr.putObject("repository").put("full_name", "acme/web");
        pr.putObject("installation").put("id", INSTALLATION);
        ObjectNode body = pr.putObject("pull_request");
        body.put("number", 17).put("title", "Add dark mode");
        ObjectNode headNode = body.putObject("head").put("sha", head).put("ref", "feature/dark");
        headNode.putObject("repo").put("full_name", "acme/web");
        body.putObject("base").put("ref", "main");
        body.putObject("user").put("login", "octocat");
        assertThat(deliver("pull_request", "p-1", pr).statusCode()).isEqualTo(202);
        Deployment d = all().get(0);
        assertThat(d.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(d.fromFork()).isFalse();
        assertThat(d.trigger()).isEqualTo(DeploymentTrigger.PULL_REQUEST);
        assertThat(d.pullRequestNumber()).isEqualTo(17);
        assertThat(d.commitSha()).isEqualTo(head);
        assertThat(d.branch()).isEqualTo("feature/dark");

        pr.put("action", "closed");
        deliver("pull_request", "p-2", pr);
        assertThat(outcome("p-2")).isEqualTo("pull request #17 closed: 1 pending or waiting build(s) cancelled");
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.CANCELLED);
    }

    @Test
    void suspendedInstallation_triggersNothing_untilUnsuspended() throws Exception {
        ObjectNode suspend = JSON.createObjectNode().put("action", "suspend");
        suspend.putObject("installation").put("id", INSTALLATION).putObject("account").put("login", "acme");
        deliver("installation", "i-1", suspend);
        deliver("push", "i-2", push("refs/heads/main", sha(), "x"));
        assertThat(outcome("i-2")).isEqualTo("ignored: installation " + INSTALLATION + " is suspended or deleted");
        assertThat(all()).isEmpty();
        suspend.put("action", "unsuspend");
        deliver("installation", "i-3", suspend);
        assertThat(deliver("push", "i-4", push("refs/heads/main", sha(), "x")).statusCode()).isEqualTo(202);
        assertThat(all()).hasSize(1);
        // A late redelivery of the suspend is recognised and applies nothing.
        suspend.put("action", "suspend");
        HttpResponse<String> late = deliver("installation", "i-1", suspend);
        assertThat(JSON.readTree(late.body()).get("duplicate").asBoolean()).isTrue();
        assertThat(deliver("push", "i-5", push("refs/heads/main", sha(), "x")).statusCode()).isEqualTo(202);
        assertThat(all()).hasSize(2);
    }

    @Test
    void rebuildActionAndRerequestedCheckSuite_buildTheShaAgain() throws Exception {
        String after = sha();
        deliver("push", "s-1", push("refs/heads/main", after, "first"));
        Deployment original = all().get(0);
        ObjectNode action = checkRun("requested_action", original, after);
        action.putObject("requested_action").put("identifier", "rebuild");
        assertThat(deliver("check_run", "s-2", action).statusCode()).isEqualTo(202);
        assertThat(all().get(0).trigger()).isEqualTo(DeploymentTrigger.REREQUESTED);

        ObjectNode suite = JSON.createObjectNode().put("action", "rerequested");
        suite.putObject("repository").put("full_name", "acme/web");
        suite.putObject("installation").put("id", INSTALLATION);
        suite.putObject("check_suite").put("head_sha", after).put("head_branch", "main");
        assertThat(deliver("check_suite", "s-3", suite).statusCode()).isEqualTo(202);
        Deployment again = all().get(0);
        assertThat(again.trigger()).isEqualTo(DeploymentTrigger.REREQUESTED);
        assertThat(again.commitSha()).isEqualTo(after);
        assertThat(all()).hasSize(3);
    }

    @Test
    void installationRepositories_keepTheInstallationCurrent() throws Exception {
        ObjectNode added = JSON.createObjectNode().put("action", "added");
        added.putObject("installation").put("id", 77).putObject("account").put("login", "globex");
        added.putArray("repositories_added").addObject().put("full_name", "globex/api");
        added.putArray("repositories_removed");
        deliver("installation_repositories", "ir-1", added);
        List<String> repos = jdbi.withHandle(h -> h.createQuery(
                "SELECT full_name FROM github_installation_repositories WHERE installation_id = 77")
                .mapTo(String.class).list());
        assertThat(repos).containsExactly("globex/api");
        ObjectNode removed = JSON.createObjectNode().put("action", "removed");
        removed.putObject("installation").put("id", 77).putObject("account").put("login", "globex");
        removed.putArray("repositories_added");
        removed.putArray("repositories_removed").addObject().put("full_name", "globex/api");
        deliver("installation_repositories", "ir-2", removed);
        assertThat(fx.count("github_installation_repositories")).isZero();
    }

    @Test
    void rerequestedCheckRun_buildsTheSameShaAgain_butOnlyForThisRepository() throws Exception {
        String after = sha();
        deliver("push", "r-1", push("refs/heads/main", after, "first"));
        Deployment original = all().get(0);
        ObjectNode rerun = checkRun("rerequested", original, after);
        assertThat(deliver("check_run", "r-2", rerun).statusCode()).isEqualTo(202);
        Deployment again = all().get(0);
        assertThat(again.id()).isNotEqualTo(original.id());
        assertThat(again.trigger()).isEqualTo(DeploymentTrigger.REREQUESTED);
        assertThat(again.commitSha()).isEqualTo(after);
        assertThat(again.retryOf()).isEqualTo(original.id());

        // A bad SHA is refused after the original was looked up: recorded as rejected, nothing created.
        assertThat(deliver("check_run", "r-bad", checkRun("rerequested", original, "not-a-sha")).statusCode())
                .isEqualTo(400);
        assertThat(outcome("r-bad")).isEqualTo("rejected: check_run.head_sha is not a 40-character commit SHA");
        assertThat(recorded()).isEqualTo(3);
        assertThat(all()).hasSize(2);

        ((ObjectNode) rerun.get("repository")).put("full_name", "evil/other");
        deliver("check_run", "r-3", rerun);
        assertThat(outcome("r-3")).startsWith("ignored: deployment " + original.id() + " is not an app");
        assertThat(all()).hasSize(2);
    }

    /** Found by ops/bench/fuzz: a signed pull_request without an action was a 500 (and asked for again). */
    @Test
    void aPullRequestWithoutAnAction_isRefusedWithASentence_andRecordedAsSuch() throws Exception {
        ObjectNode p = pullRequest("opened", 7, sha(), "feature", "acme/web");
        p.remove("action");
        HttpResponse<String> r = deliver("pull_request", "no-action", p);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("pull_request.action is missing");
        assertThat(outcome("no-action")).startsWith("rejected: ").contains("pull_request.action is missing");
        assertThat(all()).isEmpty();
    }

    /** GitHub's pull_request payload shape; {@code headRepo} null is a fork that was deleted. */
    static ObjectNode pullRequest(String action, int number, String headSha, String headRef, String headRepo) {
        ObjectNode p = JSON.createObjectNode().put("action", action).put("number", number);
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        p.putObject("sender").put("login", "stranger");
        ObjectNode pr = p.putObject("pull_request").put("number", number).put("title", "Improve things");
        ObjectNode head = pr.putObject("head").put("sha", headSha).put("ref", headRef);
        if (headRepo == null) {
            head.putNull("repo");
        } else {
            head.putObject("repo").put("full_name", headRepo);
        }
        pr.putObject("base").put("ref", "main").putObject("repo").put("full_name", "acme/web");
        pr.putObject("user").put("login", "stranger");
        return p;
    }

    /** The click on "Approve and build": a requested_action on the run GitHub showed it on. */
    static ObjectNode approveClick(Deployment d, long checkRunId, String login) {
        ObjectNode p = checkRun("requested_action", d, d.commitSha());
        ((ObjectNode) p.get("check_run")).put("id", checkRunId);
        p.putObject("requested_action").put("identifier", "approve");
        p.putObject("sender").put("login", login);
        return p;
    }

    static void setCheckRun(Deployment d, long runId) {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET check_run_id = ? WHERE id = ?", runId, d.id()));
    }

    static void forkPolicy(String policy) {
        jdbi.useHandle(h -> h.execute("UPDATE apps SET fork_pull_requests = ? WHERE id = ?", policy, app.id()));
    }

    @Test
    void pullRequestFromAFork_waitsForApproval_andOnlyItsOwnRunsApprovalLetsItBuild_once() throws Exception {
        String head = sha();
        assertThat(deliver("pull_request", "f-1", pullRequest("opened", 31, head, "main", "stranger/web"))
                .statusCode()).isEqualTo(202);
        Deployment d = all().get(0);
        assertThat(outcome("f-1")).isEqualTo("deployment [" + d.id() + "] created from the fork stranger/web, "
                + "awaiting approval");
        assertThat(d.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(d.fromFork()).isTrue();
        assertThat(d.headRepository()).isEqualTo("stranger/web");
        assertThat(d.approvedBy()).isNull();
        setCheckRun(d, 900);

        // Another repository's delivery, another run, another commit: none of them approves it.
        ObjectNode otherRepo = approveClick(d, 900, "mallory");
        ((ObjectNode) otherRepo.get("repository")).put("full_name", "evil/other");
        deliver("check_run", "f-2", otherRepo);
        assertThat(outcome("f-2")).startsWith("ignored: deployment " + d.id() + " is not an app");
        deliver("check_run", "f-3", approveClick(d, 901, "mallory"));
        assertThat(outcome("f-3")).startsWith("ignored: check run 901");
        ObjectNode otherCommit = approveClick(d, 900, "mallory");
        ((ObjectNode) otherCommit.get("check_run")).put("head_sha", sha());
        deliver("check_run", "f-4", otherCommit);
        assertThat(outcome("f-4")).startsWith("ignored: check run 900");
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);

        assertThat(deliver("check_run", "f-5", approveClick(d, 900, "maintainer")).statusCode()).isEqualTo(202);
        assertThat(outcome("f-5")).isEqualTo("deployment " + d.id() + " approved by github:maintainer");
        assertThat(recordedIds("f-5")).containsExactly(d.id());
        Deployment approved = fx.reload(d);
        assertThat(approved.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(approved.approvedBy()).isEqualTo("github:maintainer");
        assertThat(approved.approvedAt()).isNotNull();

        deliver("check_run", "f-6", approveClick(d, 900, "someone-else"));
        assertThat(outcome("f-6")).isEqualTo("unchanged: deployment " + d.id()
                + " is pending, not awaiting approval");
        assertThat(fx.reload(d).approvedBy()).isEqualTo("github:maintainer");
        assertThat(all()).hasSize(1);
    }

    @Test
    void aForkWhoseHeadRepositoryIsGone_isAFork_andItsClosingCancelsTheWait() throws Exception {
        deliver("pull_request", "g-1", pullRequest("opened", 32, sha(), "patch-1", null));
        Deployment d = all().get(0);
        assertThat(d.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(d.fromFork()).isTrue();
        assertThat(d.headRepository()).isNull();
        deliver("pull_request", "g-2", pullRequest("closed", 32, d.commitSha(), "patch-1", null));
        assertThat(outcome("g-2")).isEqualTo("pull request #32 closed: 1 pending or waiting build(s) cancelled");
        assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.CANCELLED);
    }

    @Test
    void forkPolicies_neverBuildsNothing_alwaysQueuesAtOnceStillAsAFork() throws Exception {
        try {
            forkPolicy("never");
            deliver("pull_request", "n-1", pullRequest("opened", 33, sha(), "main", "stranger/web"));
            assertThat(outcome("n-1")).isEqualTo("ignored: pull request #33 is from the fork stranger/web and the "
                    + "app does not build pull requests from forks");
            assertThat(all()).isEmpty();

            forkPolicy("always");
            deliver("pull_request", "n-2", pullRequest("opened", 33, sha(), "main", "Stranger/Web"));
            Deployment d = all().get(0);
            assertThat(d.status()).isEqualTo(DeploymentStatus.PENDING);
            assertThat(d.fromFork()).isTrue();
            assertThat(d.approvedBy()).isNull();
        } finally {
            forkPolicy("approve");
        }
    }

    @Test
    void aPullRequestNamedLikeTheAppsBranch_neverSupersedesTheBranchBuild_butANewerPushToItSupersedesItsOwn()
            throws Exception {
        deliver("push", "b-1", push("refs/heads/main", sha(), "production"));
        Deployment branchBuild = all().get(0);
        deliver("pull_request", "b-2", pullRequest("opened", 34, sha(), "main", "stranger/web"));
        deliver("pull_request", "b-3", pullRequest("opened", 35, sha(), "main", "acme/web"));
        Deployment sameRepo = all().get(0);
        String newer = sha();
        deliver("pull_request", "b-4", pullRequest("synchronize", 34, newer, "main", "stranger/web"));
        Deployment newest = all().get(0);

        awaitSuperseded(sameRepo.id() - 1);
        assertThat(fx.reload(branchBuild).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(fx.reload(sameRepo).status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(newest.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        Deployment older = deployments.findById(sameRepo.id() - 1).orElseThrow();
        assertThat(older.pullRequestNumber()).isEqualTo(34);
        assertThat(older.supersededBy()).isEqualTo(newest.id());
    }

    static void awaitSuperseded(long id) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (deployments.findById(id).orElseThrow().status() == DeploymentStatus.CANCELLED) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("deployment " + id + " was not superseded");
    }

    @Test
    void reRunsOfAFork_waitAgain_unlessTheSameCommitWasApproved_andASuiteRhoneNeverBuiltIsNotGuessed()
            throws Exception {
        String head = sha();
        deliver("pull_request", "r-1", pullRequest("opened", 36, head, "main", "stranger/web"));
        Deployment d = all().get(0);
        deliver("check_run", "r-2", checkRun("rerequested", d, head));
        Deployment waitingAgain = all().get(0);
        assertThat(waitingAgain.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(waitingAgain.fromFork()).isTrue();
        assertThat(waitingAgain.pullRequestNumber()).isEqualTo(36);

        setCheckRun(waitingAgain, 950);
        deliver("check_run", "r-3", approveClick(waitingAgain, 950, "maintainer"));
        ObjectNode rebuild = checkRun("requested_action", waitingAgain, head);
        rebuild.putObject("requested_action").put("identifier", "rebuild");
        deliver("check_run", "r-4", rebuild);
        Deployment rebuilt = all().get(0);
        assertThat(rebuilt.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(rebuilt.approvedBy()).isEqualTo("github:maintainer");
        assertThat(rebuilt.fromFork()).isTrue();

        // A suite on a commit rhone never built (a fork's branch may be called main) builds nothing.
        ObjectNode suite = JSON.createObjectNode().put("action", "rerequested");
        suite.putObject("repository").put("full_name", "acme/web");
        suite.putObject("installation").put("id", INSTALLATION);
        String unknown = sha();
        suite.putObject("check_suite").put("head_sha", unknown).put("head_branch", "main");
        deliver("check_suite", "r-5", suite);
        assertThat(outcome("r-5")).isEqualTo("ignored: rhone has not built " + unknown.substring(0, 12)
                + " for an app of acme/web");
        assertThat(all()).hasSize(3);
    }
}
