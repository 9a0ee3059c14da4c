package com.vangoframework.rhone.deployments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.DashboardClient;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's quota of waiting deployments and the API's pace, against the running service over HTTP:
 * the API, the dashboard's Deploy and GitHub's pushes. No node builds here, so requests stay
 * pending. Each test has a team of its own.
 */
class DeployLimitsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "webhook-secret-" + UUID.randomUUID();
    private static final long INSTALLATION = 77;
    private static final int PER_MINUTE = 3;

    @TempDir
    static Path dir;
    private static TestService service;
    private static Jdbi jdbi;
    private static Fixtures fx;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("dashboard.deploysPerMinute", String.valueOf(PER_MINUTE))).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    private static HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> deploy(App app, String token) throws Exception {
        return call("POST", "/api/apps/" + app.slug() + "/deployments", token, null);
    }

    private static long id(HttpResponse<String> created) throws Exception {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).get("id").asLong();
    }

    private static long pendingOf(Team team) {
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT count(*) FROM deployments d JOIN apps a ON a.id = d.app_id
                         WHERE a.team_id = ? AND d.status = 'pending'""")
                .bind(0, team.id()).mapTo(Long.class).one());
    }

    private static long rowsOf(Team team) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT count(*) FROM deployments d JOIN apps a ON a.id = d.app_id WHERE a.team_id = ?")
                .bind(0, team.id()).mapTo(Long.class).one());
    }

    private static List<App> apps(Team team, int n) {
        List<App> apps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            apps.add(fx.app(team, team.slug() + "-" + i));
        }
        return apps;
    }

    private static String quotaSentence(Team team, int quota) {
        return "team " + team.slug() + " already has its quota of deployments waiting to build (" + quota + ")";
    }

    @Test
    void apiDeploysPastTheTeamsQuota_get429NamingIt_writeNothing_andOtherTeamsStillDeploy() throws Exception {
        Team team = fx.pendingQuota(fx.team("quota-api"), 3);
        List<App> apps = apps(team, 4);
        String token = fx.token(team);
        // A fork's pull request waiting for approval is not in the queue: it does not count.
        fx.awaitingFork(apps.get(3), 7);
        for (int i = 0; i < 3; i++) {
            id(deploy(apps.get(i), token));
        }

        HttpResponse<String> refused = deploy(apps.get(3), token);
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonNode error = JSON.readTree(refused.body());
        assertThat(error.get("code").asInt()).isEqualTo(429);
        assertThat(error.get("message").asText()).isEqualTo(quotaSentence(team, 3)
                + ": wait for some to start, or cancel some, and try again");
        assertThat(rowsOf(team)).as("the refused request wrote nothing").isEqualTo(4);

        // A request that supersedes a waiting one of its branch does not grow the queue: let in.
        id(deploy(apps.get(0), token));
        // Another team's requests are not held back.
        Team other = fx.team("quota-other");
        id(deploy(fx.app(other, "quota-other-web"), fx.token(other)));

        // Room made by a cancel is room for the next request.
        long waiting = jdbi.withHandle(h -> h.createQuery(
                "SELECT id FROM deployments WHERE app_id = ? AND status = 'pending'")
                .bind(0, apps.get(1).id()).mapTo(Long.class).one());
        assertThat(call("POST", "/api/apps/" + apps.get(1).slug() + "/deployments/" + waiting + "/cancel", token,
                null).statusCode()).isEqualTo(200);
        // (the superseded request of app 0 gives way after the request's commit, off its thread)
        await().atMost(Duration.ofSeconds(10)).until(() -> pendingOf(team) == 2);
        id(deploy(apps.get(3), token));
    }

    @Test
    void concurrentRequests_neverLetMoreThanTheQuotaWait() throws Exception {
        int quota = 4;
        Team team = fx.pendingQuota(fx.team("quota-race"), quota);
        List<App> apps = apps(team, 16);
        String token = fx.token(team);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (App app : apps) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return deploy(app, token);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> new Thread(runnable, "deploy-" + app.slug()).start()));
        }
        go.countDown();
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            statuses.add(answer.get().statusCode());
        }
        assertThat(statuses).filteredOn(s -> s == 201).hasSize(quota);
        assertThat(statuses).filteredOn(s -> s == 429).hasSize(apps.size() - quota);
        assertThat(pendingOf(team)).isEqualTo(quota);
        assertThat(rowsOf(team)).isEqualTo(quota);
    }

    @Test
    void aPushPastTheQuota_isRecordedCancelledWithTheReason_andTheDeliveryStillSucceeds() throws Exception {
        Team team = fx.pendingQuota(fx.team("quota-push"), 1);
        AppDao appDao = jdbi.onDemand(AppDao.class);
        App one = appDao.insert(new AppDao.NewApp(team.id(), "quota-push-one", "quota/one", INSTALLATION, null,
                "main", 1800));
        App two = appDao.insert(new AppDao.NewApp(team.id(), "quota-push-two", "quota/two", INSTALLATION, null,
                "main", 1800));
        assertThat(push("quota/one").statusCode()).isEqualTo(202);

        HttpResponse<String> past = push("quota/two");
        assertThat(past.statusCode()).as("GitHub is told the delivery was taken").isEqualTo(202);
        Deployment refused = jdbi.onDemand(DeploymentDao.class).list(new DeploymentDao.Page(two.id(), null, 10)).get(0);
        assertThat(refused.status()).isEqualTo(DeploymentStatus.CANCELLED);
        assertThat(refused.errorMessage()).isEqualTo("not queued: " + quotaSentence(team, 1)
                + "; retry once some have started");
        assertThat(refused.buildFinishedAt()).isNotNull();
        assertThat(pendingOf(team)).isEqualTo(1);

        // The next push of the waiting branch replaces the request that waits: let in.
        assertThat(push("quota/one").statusCode()).isEqualTo(202);
        assertThat(jdbi.onDemand(DeploymentDao.class).list(new DeploymentDao.Page(one.id(), null, 10)))
                .hasSize(2).allMatch(d -> d.status() == DeploymentStatus.PENDING
                        || d.status() == DeploymentStatus.CANCELLED);
    }

    private static HttpResponse<String> push(String repository) throws Exception {
        String sha = UUID.randomUUID().toString().replace("-", "") + "01234567";
        ObjectNode p = JSON.createObjectNode();
        p.put("ref", "refs/heads/main").put("before", "1".repeat(40)).put("after", sha).put("deleted", false);
        p.putObject("repository").put("full_name", repository);
        p.putObject("installation").put("id", INSTALLATION);
        p.putObject("head_commit").put("id", sha).put("message", "a push").putObject("author").put("name", "Ada");
        byte[] body = JSON.writeValueAsBytes(p);
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                .header("Content-Type", "application/json").header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", new WebhookSignature(SECRET).sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDashboardsDeployPastTheQuota_isA429PageNamingIt() throws Exception {
        Team team = fx.pendingQuota(fx.team("quota-page"), 1);
        List<App> apps = apps(team, 2);
        fx.pending(apps.get(0));
        DashboardClient dashboard = new DashboardClient(service.url(), jdbi);
        String session = dashboard.session(team, "quota-page-person");
        String path = "/apps/" + apps.get(1).slug();
        String csrf = DashboardClient.csrfOf(dashboard.get(path, session));

        HttpResponse<String> refused = dashboard.post(path + "/deploy", session, "csrf=" + csrf);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(refused.body()).contains(quotaSentence(team, 1));
        assertThat(rowsOf(team)).isEqualTo(1);
    }

    @Test
    void apiDeploysPastThePacePerTokenAndApp_get429WithRetryAfter_whileOtherTokensAndAppsGoOn() throws Exception {
        Team team = fx.team("pace");
        List<App> apps = apps(team, 2);
        String token = fx.token(team);
        String otherToken = fx.token(team);
        // Refused input spends nothing of the pace.
        for (int i = 0; i < PER_MINUTE + 1; i++) {
            assertThat(call("POST", "/api/apps/" + apps.get(0).slug() + "/deployments", token, "{not json")
                    .statusCode()).isEqualTo(400);
        }
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < PER_MINUTE; i++) {
            ids.add(id(deploy(apps.get(0), token)));
        }

        HttpResponse<String> tooFast = deploy(apps.get(0), token);
        assertThat(tooFast.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(tooFast.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        JsonNode error = JSON.readTree(tooFast.body());
        assertThat(error.get("code").asInt()).isEqualTo(429);
        assertThat(error.get("message").asText()).isEqualTo("this token asked for " + PER_MINUTE
                + " deployments of app " + apps.get(0).slug() + " in the last minute; try again in " + retryAfter + " s");
        // Retry is a new deployment too: the same pace.
        long first = ids.get(0);
        call("POST", "/api/apps/" + apps.get(0).slug() + "/deployments/" + first + "/cancel", token, null);
        assertThat(call("POST", "/api/apps/" + apps.get(0).slug() + "/deployments/" + first + "/retry", token, null)
                .statusCode()).isEqualTo(429);

        // Another app of the same token, and another token of the same app, go on.
        id(deploy(apps.get(1), token));
        id(deploy(apps.get(0), otherToken));
    }
}
