package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitHub App end to end: a signed push to the real service, the clone through a git server
 * that demands the installation token the fake GitHub issued, a real BuildKit build and push, and
 * the Check Run the fake GitHub receives.
 */
@NeedsDocker
class GitHubFlowTest {

    static final long INSTALLATION = 42;
    static final String SECRET = "flow-secret";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    String token;
    FakeGitHub github;
    GitServer git;
    TestService service;
    Jdbi jdbi;
    Fixtures fx;
    App app;

    @BeforeEach
    void start() throws Exception {
        token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
        github = new FakeGitHub(INSTALLATION, token, "acme/web");
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), token);
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(fx.team("acme").id(),
                "web-" + UUID.randomUUID().toString().substring(0, 6), "acme/web", INSTALLATION, null, "main", 600));
        Path key = dir.resolve("app.pem");
        Files.writeString(key, GitHubAuthTest.pkcs1Pem());
        String gitBase = git.url("x").replace("/x.git", "");
        service = new TestService(db, dir.resolve("data"), null, (com.vangoframework.rhone.pipeline.RepoCredentials) null,
                ConfigOverride.config("github.appId", "1"),
                ConfigOverride.config("github.privateKeyFile", key.toString()),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("github.apiUrl", github.url()),
                ConfigOverride.config("github.publicUrl", "https://rhone.example.test"),
                ConfigOverride.config("builder.gitHubUrl", gitBase)).start();
    }

    @AfterEach
    void stop() throws Exception {
        service.stop();
        git.close();
        github.close();
    }

    private void stubCheckRuns() {
        github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":555,\"name\":\"rhone\"}")));
        github.server.stubFor(patch(urlEqualTo("/repos/acme/web/check-runs/555")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":555,\"name\":\"rhone\"}")));
    }

    private String commit(Map<String, String> files) throws Exception {
        try (TestRepo repo = new TestRepo(dir.resolve("repos/acme/web"))) {
            return repo.commit("change " + UUID.randomUUID(), files);
        }
    }

    private HttpResponse<String> push(String sha) throws Exception {
        String body = "{\"ref\":\"refs/heads/main\",\"after\":\"" + sha + "\",\"deleted\":false,"
                + "\"repository\":{\"full_name\":\"acme/web\"},\"installation\":{\"id\":" + INSTALLATION + "},"
                + "\"head_commit\":{\"id\":\"" + sha + "\",\"message\":\"ship it\",\"author\":{\"name\":\"Ada\"}}}";
        byte[] bytes = body.getBytes();
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                .header("X-GitHub-Event", "push").header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", new WebhookSignature(SECRET).sign(bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Deployment only() {
        List<Deployment> all = jdbi.onDemand(DeploymentDao.class).list(new DeploymentDao.Page(app.id(), null, 10));
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private List<LoggedRequest> checkRunCalls() {
        return github.server.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(
                urlMatching("/repos/acme/web/check-runs.*")));
    }

    private JsonNode lastCheckRunBody() throws Exception {
        List<LoggedRequest> calls = checkRunCalls();
        return JSON.readTree(calls.get(calls.size() - 1).getBodyAsString());
    }

    private void awaitCompletedRun() {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<LoggedRequest> calls = checkRunCalls();
            return !calls.isEmpty() && calls.get(calls.size() - 1).getBodyAsString().contains("\"completed\"");
        });
    }

    @Test
    void signedPush_buildsTheImage_andTheCheckRunGoesQueuedInProgressSuccess() throws Exception {
        stubCheckRuns();
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", "hush-" + token));
        // ARG secrets-hash: the secret's (fresh) value must rebuild the step that prints it.
        String sha = commit(Map.of("Dockerfile", "FROM local/busybox:1\nARG secrets-hash\n"
                + "RUN --mount=type=secret,id=API_KEY cat /run/secrets/API_KEY\nRUN echo " + UUID.randomUUID() + "\n"));
        assertThat(push(sha).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(90)).until(() -> only().status().isBuildFinished());
        Deployment built = only();
        assertThat(built.status()).as(built.errorMessage()).isEqualTo(DeploymentStatus.BUILT);
        awaitCompletedRun();

        List<LoggedRequest> all = github.server.getAllServeEvents().stream().map(e -> e.getRequest())
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
        int tokenAt = indexOf(all, "POST", "/app/installations/42/access_tokens");
        int createAt = indexOf(all, "POST", "/repos/acme/web/check-runs");
        assertThat(tokenAt).isNotNegative().isLessThan(createAt);
        JsonNode created = JSON.readTree(all.get(createAt).getBodyAsString());
        assertThat(created.get("status").asText()).isEqualTo("queued");
        assertThat(created.get("head_sha").asText()).isEqualTo(sha);
        assertThat(created.get("external_id").asText()).isEqualTo(String.valueOf(built.id()));
        assertThat(created.get("details_url").asText())
                .isEqualTo("https://rhone.example.test/apps/" + app.slug() + "/deployments/" + built.id());
        List<String> updates = checkRunCalls().stream().filter(r -> r.getMethod().getName().equals("PATCH"))
                .map(r -> json(r).get("status").asText()).toList();
        assertThat(updates).contains("in_progress").last().isEqualTo("completed");
        assertThat(updates.indexOf("in_progress")).isLessThan(updates.lastIndexOf("completed"));
        JsonNode done = lastCheckRunBody();
        assertThat(done.get("conclusion").asText()).isEqualTo("success");
        assertThat(done.get("output").get("title").asText()).startsWith("Built " + built.imageTag());
        String text = done.get("output").get("text").asText();
        assertThat(text.length()).isLessThanOrEqualTo(65_535);
        assertThat(text).contains("Pushed " + built.imageTag()).doesNotContain(token).contains("****");
        assertThat(done.toString()).doesNotContain(token).doesNotContain("hush-");
        assertThat(jdbi.onDemand(DeploymentDao.class).findById(built.id()).orElseThrow().checkRunId()).isEqualTo(555L);

        JsonNode health = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(service.adminUrl() + "/healthcheck")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(health.get("github").get("healthy").asBoolean()).isTrue();
        assertThat(health.get("github").get("message").asText()).contains("rhone");
    }

    @Test
    void failingBuild_endsTheRunAsFailureWithTheErrorSentence_andOffersRebuild() throws Exception {
        stubCheckRuns();
        String sha = commit(Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + UUID.randomUUID() + " && exit 7\n"));
        push(sha);
        await().atMost(Duration.ofSeconds(90)).until(() -> only().status().isBuildFinished());
        Deployment failed = only();
        assertThat(failed.status()).isEqualTo(DeploymentStatus.BUILD_FAILED);
        awaitCompletedRun();
        JsonNode done = lastCheckRunBody();
        assertThat(done.get("conclusion").asText()).isEqualTo("failure");
        assertThat(done.get("output").get("title").asText()).isEqualTo(failed.errorMessage());
        assertThat(done.get("actions").get(0).get("identifier").asText()).isEqualTo("rebuild");
    }

    @Test
    void gitHubFailingThenRateLimiting_delaysTheRunButNotTheBuild() throws Exception {
        github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).inScenario("flaky")
                .whenScenarioStateIs(STARTED).willSetStateTo("limited")
                .willReturn(aResponse().withStatus(500).withBody("{\"message\":\"Server Error\"}")));
        github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).inScenario("flaky")
                .whenScenarioStateIs("limited").willSetStateTo("ok")
                .willReturn(aResponse().withStatus(403).withHeader("Retry-After", "2")
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"message\":\"You have exceeded a secondary rate limit.\"}")));
        github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).inScenario("flaky")
                .whenScenarioStateIs("ok").willReturn(aResponse().withStatus(201)
                        .withHeader("Content-Type", "application/json").withBody("{\"id\":555,\"name\":\"rhone\"}")));
        github.server.stubFor(patch(urlEqualTo("/repos/acme/web/check-runs/555")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":555,\"name\":\"rhone\"}")));

        String sha = commit(Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + UUID.randomUUID() + "\n"));
        push(sha);
        await().atMost(Duration.ofSeconds(90)).until(() -> only().status().isBuildFinished());
        assertThat(only().status()).isEqualTo(DeploymentStatus.BUILT);
        awaitCompletedRun();
        assertThat(lastCheckRunBody().get("conclusion").asText()).isEqualTo("success");
        long creates = checkRunCalls().stream().filter(r -> r.getMethod().getName().equals("POST")).count();
        assertThat(creates).isGreaterThanOrEqualTo(3);
    }

    private static JsonNode json(LoggedRequest r) {
        try {
            return JSON.readTree(r.getBodyAsString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int indexOf(List<LoggedRequest> requests, String method, String url) {
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).getMethod().getName().equals(method) && requests.get(i).getUrl().equals(url)) {
                return i;
            }
        }
        return -1;
    }
}
