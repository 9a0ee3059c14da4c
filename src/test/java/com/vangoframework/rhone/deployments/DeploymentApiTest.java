package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The JSON API against the running service: happy paths and every kind of bad input. */
class DeploymentApiTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ScriptedPipeline PIPELINE = new ScriptedPipeline();
    private static TestService service;
    private static Jdbi jdbi;
    private static Fixtures fx;
    private static String token;
    private static String otherToken;
    private static App app;
    private static App foreignApp;

    @TempDir
    static Path dataDir;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        Team acme = fx.team("acme");
        Team globex = fx.team("globex");
        app = fx.app(acme, "web");
        foreignApp = fx.app(globex, "secret-app");
        token = fx.token(acme);
        otherToken = fx.token(globex);
        // Many requests of one app with one token: the API's pace (DeployLimitsTest) is not what this tests.
        service = new TestService(db, dataDir, PIPELINE,
                ConfigOverride.config("dashboard.deploysPerMinute", "10000")).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    @BeforeEach
    void block() {
        // Builds stay running unless a test says otherwise, so statuses are predictable.
        PIPELINE.then(ScriptedPipeline.blockUntilAborted());
    }

    private HttpResponse<String> call(String method, String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void create_withCommitSha_returns201AndTheRow() throws Exception {
        HttpResponse<String> r = call("POST", "/api/apps/web/deployments", token,
                "{\"commit_sha\": \"" + "ab".repeat(20) + "\"}");
        assertThat(r.statusCode()).isEqualTo(201);
        JsonNode d = json(r);
        assertThat(d.get("commit_sha").asText()).isEqualTo("ab".repeat(20));
        assertThat(d.get("trigger").asText()).isEqualTo("manual");
        assertThat(d.get("branch").asText()).isEqualTo("main");
        assertThat(d.has("created_at")).isTrue();
        assertThat(d.has("lease_owner")).isFalse();
        cancel(d.get("id").asLong());
    }

    @Test
    void create_withoutBody_buildsTheBranchHead() throws Exception {
        HttpResponse<String> r = call("POST", "/api/apps/web/deployments", token, null);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(json(r).get("commit_sha").isNull()).isTrue();
        cancel(json(r).get("id").asLong());
    }

    @Test
    void getListCancelRetry_roundTrip() throws Exception {
        long id = json(call("POST", "/api/apps/web/deployments", token, null)).get("id").asLong();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                json(call("GET", "/api/apps/web/deployments/" + id, token, null)).get("status").asText()
                        .equals("building"));
        HttpResponse<String> list = call("GET", "/api/apps/web/deployments?limit=1", token, null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(json(list).get("deployments").get(0).get("id").asLong()).isEqualTo(id);

        HttpResponse<String> retryWhileRunning = call("POST", "/api/apps/web/deployments/" + id + "/retry", token, null);
        assertThat(retryWhileRunning.statusCode()).isEqualTo(409);
        assertThat(json(retryWhileRunning).get("message").asText()).isEqualTo("deployment " + id
                + " is still building; cancel it or wait for it to finish before retrying");

        HttpResponse<String> cancel = call("POST", "/api/apps/web/deployments/" + id + "/cancel", token, null);
        assertThat(cancel.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                json(call("GET", "/api/apps/web/deployments/" + id, token, null)).get("status").asText()
                        .equals("cancelled"));
        assertThat(call("POST", "/api/apps/web/deployments/" + id + "/cancel", token, null).statusCode())
                .isEqualTo(409);

        HttpResponse<String> retry = call("POST", "/api/apps/web/deployments/" + id + "/retry", token, null);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(json(retry).get("retry_of").asLong()).isEqualTo(id);
        assertThat(json(retry).get("trigger").asText()).isEqualTo("retry");
        cancel(json(retry).get("id").asLong());
    }

    @Test
    void log_isPlainText_andTeamScoped() throws Exception {
        Deployment d = fx.pending(app);
        try (var log = new com.vangoframework.rhone.logs.LogStore(jdbi.onDemand(com.vangoframework.rhone.logs.LogChunkDao.class),
                1_000_000, java.time.Clock.systemUTC(), threads.scheduled("rhone-log-flusher")).open(d.id(), java.util.function.UnaryOperator.identity())) {
            log.line("#1 [internal] load build definition");
        }
        HttpResponse<String> r = call("GET", "/api/apps/web/deployments/" + d.id() + "/log", token, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(r.body()).endsWith(" #1 [internal] load build definition\n");
        assertThat(call("GET", "/api/apps/web/deployments/" + d.id() + "/log", otherToken, null).statusCode())
                .isEqualTo(404);
        cancel(d.id());
    }

    @Test
    void unknownApp_is404() throws Exception {
        assertUnchanged(() -> {
            HttpResponse<String> r = call("POST", "/api/apps/nope/deployments", token, null);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(json(r).get("message").asText()).contains("no app named 'nope'");
        });
    }

    @Test
    void otherTeamsApp_is404LikeAnUnknownOne() throws Exception {
        assertUnchanged(() -> {
            assertThat(call("POST", "/api/apps/secret-app/deployments", token, null).statusCode()).isEqualTo(404);
            assertThat(call("GET", "/api/apps/secret-app/deployments", token, null).statusCode()).isEqualTo(404);
        });
        // And another team's deployment id under our own app is a 404 too.
        Deployment foreign = fx.pending(foreignApp);
        assertThat(call("GET", "/api/apps/web/deployments/" + foreign.id(), token, null).statusCode()).isEqualTo(404);
        assertThat(call("POST", "/api/apps/web/deployments/" + foreign.id() + "/cancel", token, null).statusCode())
                .isEqualTo(404);
        Deployment untouched = fx.reload(foreign);
        assertThat(untouched.cancelRequestedAt()).isNull();
        assertThat(untouched.status()).isNotEqualTo(DeploymentStatus.CANCELLED);
        // Its own team can cancel it (200 if still pending, 202 if the queue already started it).
        assertThat(call("POST", "/api/apps/secret-app/deployments/" + foreign.id() + "/cancel", otherToken, null)
                .statusCode()).isIn(200, 202);
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.reload(foreign).status() == DeploymentStatus.CANCELLED);
    }

    @Test
    void approve_letsAForksPullRequestBuild_once_forItsOwnTeamOnly() throws Exception {
        Deployment fork = fx.awaitingFork(app, 7);
        assertThat(call("POST", "/api/apps/web/deployments/" + fork.id() + "/approve", otherToken, null).statusCode())
                .isEqualTo(404);
        assertThat(fx.reload(fork).status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        Thread.sleep(300); // a queue that ignored the status would have claimed it by now
        assertThat(fx.reload(fork).buildStartedAt()).isNull();

        HttpResponse<String> approved = call("POST", "/api/apps/web/deployments/" + fork.id() + "/approve", token, null);
        assertThat(approved.statusCode()).isEqualTo(200);
        assertThat(json(approved).get("approved_by").asText()).isEqualTo("rhone:token:acme");
        assertThat(json(approved).get("from_fork").asBoolean()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> fx.reload(fork).status().isActive());

        HttpResponse<String> again = call("POST", "/api/apps/web/deployments/" + fork.id() + "/approve", token, null);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).get("message").asText()).startsWith("deployment " + fork.id() + " is ")
                .endsWith(", not awaiting approval");
        cancel(fork.id());
    }

    @Test
    void badOrMissingToken_is401_sayingWhichOfTheTwo() throws Exception {
        assertUnchanged(() -> {
            HttpResponse<String> missing = call("POST", "/api/apps/web/deployments", null, null);
            assertThat(missing.statusCode()).isEqualTo(401);
            assertThat(json(missing).get("message").asText()).startsWith("an API token is required");
            assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"rhone\"");
            for (String bad : List.of("rhn_" + "x".repeat(43), "garbage")) {
                HttpResponse<String> r = call("POST", "/api/apps/web/deployments", bad, null);
                assertThat(r.statusCode()).isEqualTo(401);
                assertThat(json(r).get("message").asText()).startsWith("the API token is not valid");
            }
        });
    }

    @Test
    void tokenInTheQueryString_isRefused_onlyTheHeaderCounts() throws Exception {
        HttpResponse<String> r = call("GET", "/api/apps/web/deployments?access_token=" + token, null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(json(r).get("message").asText()).startsWith("an API token is required");
    }

    @Test
    void malformedSha_is422NamingTheField() throws Exception {
        assertUnchanged(() -> {
            // Strict: nothing is mended (a newline, upper case, a NUL, spaces): 422, never accepted.
            for (String sha : new String[] {"xyz", "abc123", "g".repeat(40), "a".repeat(41), "a".repeat(40) + "\\n",
                    "A".repeat(40), "a".repeat(39) + "\\u0000", "a".repeat(40) + "\\u0000", " " + "a".repeat(40)}) {
                HttpResponse<String> r = call("POST", "/api/apps/web/deployments", token,
                        "{\"commit_sha\": \"" + sha + "\"}");
                assertThat(r.statusCode()).isEqualTo(422);
                assertThat(json(r).get("message").asText()).contains("commit_sha");
            }
            assertThat(call("POST", "/api/apps/web/deployments", token, "{\"commit_sha\": 42}").statusCode())
                    .isEqualTo(422);
            assertThat(call("POST", "/api/apps/web/deployments", token, "{\"comit_sha\": \"x\"}").statusCode())
                    .isEqualTo(422);
        });
    }

    @Test
    void aCompressedBody_is415InTheErrorShape_beforeAnythingReadsIt_andCreatesNothing() throws Exception {
        assertUnchanged(() -> {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(service.url()
                            + "/api/apps/web/deployments")).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"commit_sha\": \"" + "a".repeat(40) + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(415);
            assertThat(json(r).get("code").asInt()).isEqualTo(415);
            assertThat(json(r).get("message").asText()).startsWith("Content-Encoding is not supported");
        });
    }

    @Test
    void malformedJson_is400() throws Exception {
        assertUnchanged(() -> {
            HttpResponse<String> r = call("POST", "/api/apps/web/deployments", token, "{\"commit_sha\": ");
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(json(r).get("message").asText()).contains("not valid JSON");
            assertThat(call("POST", "/api/apps/web/deployments", token, "[1,2]").statusCode()).isEqualTo(400);
            // Trailing tokens after the object: the body as a whole is not one JSON object.
            for (String trailing : List.of("{} x", "{\"commit_sha\": \"" + "a".repeat(40) + "\"}garbage", "{}{}")) {
                HttpResponse<String> t = call("POST", "/api/apps/web/deployments", token, trailing);
                assertThat(t.statusCode()).as(trailing).isEqualTo(400);
                assertThat(json(t).get("message").asText()).contains("not valid JSON");
            }
        });
    }

    @Test
    void badPaging_is422_andUnknownDeploymentIs404() throws Exception {
        assertThat(call("GET", "/api/apps/web/deployments?limit=0", token, null).statusCode()).isEqualTo(422);
        assertThat(call("GET", "/api/apps/web/deployments?limit=1000", token, null).statusCode()).isEqualTo(422);
        assertThat(call("GET", "/api/apps/web/deployments/999999", token, null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/api/apps/web/deployments/abc", token, null).statusCode()).isEqualTo(404);
    }

    @Test
    void malformedQueryParameters_are422NamingTheParameter() throws Exception {
        for (String param : List.of("limit", "before")) {
            HttpResponse<String> r = call("GET", "/api/apps/web/deployments?" + param + "=abc", token, null);
            assertThat(r.statusCode()).isEqualTo(422);
            assertThat(json(r).get("message").asText())
                    .isEqualTo("query parameter '" + param + "' has a value of the wrong kind: it must be a whole number");
        }
    }

    @Test
    @NeedsDocker
    void adminPort_servesHealthAndPrometheusMetrics() throws Exception {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(service.adminUrl() + "/healthcheck"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json(health).get("postgresql").get("healthy").asBoolean()).isTrue();
        assertThat(json(health).get("build-queue").get("healthy").asBoolean()).isTrue();
        // The suite's registry (ops/setup-local-builder) on the configured 127.0.0.1:5000.
        assertThat(json(health).get("registry").get("message").asText())
                .isEqualTo("registry 127.0.0.1:5000 answers (HTTP 200)");
        HttpResponse<String> prom = HTTP.send(HttpRequest.newBuilder(URI.create(service.adminUrl() + "/prometheus"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(prom.statusCode()).isEqualTo(200);
        assertThat(prom.body()).contains("rhone_queue_depth", "rhone_builds_running",
                "rhone_builds_total{outcome=\"built\"}", "rhone_builds_total{outcome=\"build_failed\"}",
                "rhone_builds_total{outcome=\"cancelled\"}", "rhone_queue_wait_seconds_bucket{le=\"0.05\"}",
                "rhone_build_duration_seconds_bucket{outcome=\"built\",le=\"60.0\"}");
    }

    @Test
    void aFinishedBuild_countsOnceUnderItsOutcome_andIsObservedInTheHistograms() throws Exception {
        double built = metric("rhone_builds_total{outcome=\"built\"}");
        double durations = metric("rhone_build_duration_seconds_count{outcome=\"built\"}");
        double waits = metric("rhone_queue_wait_seconds_count");
        PIPELINE.then(ctx -> { });
        long id = json(call("POST", "/api/apps/web/deployments", token, null)).get("id").asLong();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                json(call("GET", "/api/apps/web/deployments/" + id, token, null)).get("status").asText().equals("built"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> metric("rhone_builds_total{outcome=\"built\"}") == built + 1);
        assertThat(metric("rhone_build_duration_seconds_count{outcome=\"built\"}")).isEqualTo(durations + 1);
        assertThat(metric("rhone_queue_wait_seconds_count")).isGreaterThanOrEqualTo(waits + 1);
    }

    /** One sample's value from /prometheus (0 when absent). */
    private static double metric(String series) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(service.adminUrl() + "/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(0.0);
    }

    private void cancel(long id) throws Exception {
        call("POST", "/api/apps/web/deployments/" + id + "/cancel", token, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String s = json(call("GET", "/api/apps/web/deployments/" + id, token, null)).get("status").asText();
            return s.equals("cancelled");
        });
    }

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    private static void assertUnchanged(Check check) throws Exception {
        long before = fx.count("deployments");
        String fingerprint = fingerprint();
        check.run();
        assertThat(fx.count("deployments")).isEqualTo(before);
        assertThat(fingerprint()).isEqualTo(fingerprint);
    }

    private static String fingerprint() {
        return jdbi.withHandle(h -> h.createQuery(
                "SELECT coalesce(string_agg(id || status || updated_at, ',' ORDER BY id), '') FROM deployments")
                .mapTo(String.class).one());
    }
}
