package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull request from a fork end to end, on the real service, git server, BuildKit and registry:
 * it waits (a completed {@code action_required} Check Run with "Approve and build") while the
 * branch's own builds go on, and once approved, on GitHub or on the dashboard, it is built without
 * the app's secrets into {@code <app>-pr}, under a new Check Run.
 */
@NeedsDocker
class ForkPullRequestFlowTest {

    static final long INSTALLATION = 42;
    static final String SECRET = "fork-flow-secret";
    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    /** Check Run ids the fake GitHub hands out, one per creation, in order. */
    static final long FIRST_RUN = 700;
    static final int RUNS = 60;

    @TempDir
    Path dir;

    String token;
    String apiKey;
    FakeGitHub github;
    GitServer git;
    TestService service;
    Jdbi jdbi;
    Fixtures fx;
    Team team;
    App app;
    LogStore logs;
    ScheduledExecutorService logFlusher;

    @BeforeEach
    void start() throws Exception {
        token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
        github = new FakeGitHub(INSTALLATION, token, "acme/web");
        stubCheckRuns();
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), token);
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        team = fx.team("acme");
        app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(),
                "web-" + UUID.randomUUID().toString().substring(0, 6), "acme/web", INSTALLATION, null, "main", 600));
        apiKey = "hush-" + UUID.randomUUID();
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", apiKey));
        Path key = dir.resolve("app.pem");
        Files.writeString(key, GitHubAuthTest.pkcs1Pem());
        String gitBase = git.url("x").replace("/x.git", "");
        service = new TestService(db, dir.resolve("data"), null, (com.vangoframework.rhone.pipeline.RepoCredentials) null,
                ConfigOverride.config("github.appId", "1"),
                ConfigOverride.config("github.privateKeyFile", key.toString()),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("github.apiUrl", github.url()),
                ConfigOverride.config("github.publicUrl", "https://rhone.example.test"),
                ConfigOverride.config("builder.gitHubUrl", gitBase),
                ConfigOverride.config("builder.registry", REGISTRY)).start();
        logFlusher = NamedThreads.scheduled("rhone-test-log-flusher");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    @AfterEach
    void stop() throws Exception {
        service.stop();
        NamedThreads.stopNow(logFlusher, Duration.ofSeconds(5));
        git.close();
        github.close();
    }

    // ---- the fake GitHub's Check Runs ----

    /** Each creation gets the next id (700, 701, ...); an update of any run answers with its id. */
    private void stubCheckRuns() {
        for (int i = 0; i < RUNS; i++) {
            github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).inScenario("run ids")
                    .whenScenarioStateIs(i == 0 ? STARTED : "created-" + i).willSetStateTo("created-" + (i + 1))
                    .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json")
                            .withBody("{\"id\":" + (FIRST_RUN + i) + ",\"name\":\"rhone\"}")));
        }
        github.server.stubFor(patch(urlPathMatching("/repos/acme/web/check-runs/[0-9]+")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":{{request.pathSegments.[4]}},\"name\":\"rhone\"}")
                .withTransformers("response-template")));
    }

    /** A call the fake GitHub received about check runs: which run, and what was sent. */
    record RunCall(String method, long runId, JsonNode body) {
    }

    /** Every check-run call in the order received; a creation's run id is the one the fake answered. */
    private List<RunCall> runCalls() {
        List<ServeEvent> events = new ArrayList<>(github.server.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first
        List<RunCall> calls = new ArrayList<>();
        for (ServeEvent e : events) {
            String url = e.getRequest().getUrl();
            if (!url.startsWith("/repos/acme/web/check-runs")) {
                continue;
            }
            String method = e.getRequest().getMethod().getName();
            long id = method.equals("POST")
                    ? json(e.getResponse().getBodyAsString()).path("id").asLong(-1)
                    : Long.parseLong(url.substring(url.lastIndexOf('/') + 1));
            calls.add(new RunCall(method, id, json(e.getRequest().getBodyAsString())));
        }
        return calls;
    }

    /** The creations of runs for a commit, oldest first. */
    private List<RunCall> createdFor(String sha) {
        return runCalls().stream().filter(c -> c.method().equals("POST"))
                .filter(c -> sha.equals(c.body().path("head_sha").asText())).toList();
    }

    /** The latest body sent for a run (its creation or an update). */
    private JsonNode lastBodyOf(long runId) {
        List<RunCall> mine = runCalls().stream().filter(c -> c.runId() == runId).toList();
        return mine.isEmpty() ? null : mine.get(mine.size() - 1).body();
    }

    private List<RunCall> updatesOf(long runId) {
        return runCalls().stream().filter(c -> c.method().equals("PATCH") && c.runId() == runId).toList();
    }

    private static JsonNode json(String body) {
        try {
            return body == null || body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- git, webhooks, registry ----

    private Path repoDir() {
        return dir.resolve("repos/acme/web");
    }

    /** A commit on the app's branch. */
    private String commitOnMain(Map<String, String> files) throws Exception {
        try (TestRepo repo = new TestRepo(repoDir())) {
            return repo.commit("change " + UUID.randomUUID(), files);
        }
    }

    /**
     * The fork's commit, kept on a branch of its own in the base repository (GitHub serves a fork's
     * pull request commits from the base repository too, as {@code refs/pull/<n>/head}).
     */
    private String forkCommit(String branch, String dockerfile) throws Exception {
        try (TestRepo ignored = new TestRepo(repoDir()); Git g = Git.open(repoDir().toFile())) {
            g.checkout().setCreateBranch(true).setName(branch).call();
            Files.writeString(repoDir().resolve("Dockerfile"), dockerfile);
            g.add().addFilepattern(".").call();
            PersonIdent who = new PersonIdent("A Stranger", "stranger@example.test");
            String sha = g.commit().setMessage("improve things").setAuthor(who).setCommitter(who).call().getName();
            g.checkout().setName("main").call();
            return sha;
        }
    }

    /** Reports whether the API_KEY secret reached the RUN step; {@code marker} makes the step unique. */
    private static String dockerfile(String marker, int sleepSeconds) {
        return "FROM local/busybox:1\nARG secrets-hash\n"
                + "RUN --mount=type=secret,id=API_KEY,required=false echo \"" + marker + " secret: "
                + "$(test -f /run/secrets/API_KEY && echo HAS || echo NO-SECRET)\""
                + (sleepSeconds > 0 ? " && sleep " + sleepSeconds : "") + "\n";
    }

    private HttpResponse<String> deliver(String event, JsonNode payload) throws Exception {
        byte[] bytes = JSON.writeValueAsBytes(payload);
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", event).header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", new WebhookSignature(SECRET).sign(bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String outcomeOf(HttpResponse<String> response) {
        return json(response.body()).path("outcome").asText();
    }

    private HttpResponse<String> push(String sha) throws Exception {
        ObjectNode p = JSON.createObjectNode().put("ref", "refs/heads/main").put("after", sha).put("deleted", false);
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        ObjectNode head = p.putObject("head_commit").put("id", sha).put("message", "ship it");
        head.putObject("author").put("name", "Ada");
        return deliver("push", p);
    }

    /** GitHub's pull_request payload shape, from the fork stranger/web. */
    private HttpResponse<String> forkPullRequestOpened(int number, String sha, String headRef) throws Exception {
        ObjectNode p = JSON.createObjectNode().put("action", "opened").put("number", number);
        ObjectNode pr = p.putObject("pull_request").put("number", number).put("title", "Improve things");
        pr.putObject("head").put("sha", sha).put("ref", headRef).putObject("repo").put("full_name", "stranger/web");
        pr.putObject("base").put("ref", "main").putObject("repo").put("full_name", "acme/web");
        pr.putObject("user").put("login", "stranger");
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        p.putObject("sender").put("login", "stranger");
        return deliver("pull_request", p);
    }

    /** The click on "Approve and build" on a run GitHub shows. */
    private HttpResponse<String> approveClick(Deployment d, long checkRunId, String login) throws Exception {
        ObjectNode p = JSON.createObjectNode().put("action", "requested_action");
        p.putObject("check_run").put("id", checkRunId).put("external_id", String.valueOf(d.id()))
                .put("head_sha", d.commitSha()).put("name", "rhone").put("status", "completed")
                .put("conclusion", "action_required");
        p.putObject("requested_action").put("identifier", "approve");
        p.putObject("repository").put("full_name", "acme/web");
        p.putObject("installation").put("id", INSTALLATION);
        p.putObject("sender").put("login", login);
        return deliver("check_run", p);
    }

    private List<Deployment> all() {
        return jdbi.onDemand(DeploymentDao.class).list(new DeploymentDao.Page(app.id(), null, 100));
    }

    private Deployment ofCommit(String sha) {
        List<Deployment> mine = all().stream().filter(d -> sha.equals(d.commitSha())).toList();
        assertThat(mine).as("deployments of " + sha).hasSize(1);
        return mine.get(0);
    }

    private Deployment awaitFinished(Deployment d, int seconds) {
        await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        return fx.reload(d);
    }

    private static String tags(String repository) throws Exception {
        HttpResponse<String> list = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + REGISTRY + "/v2/"
                + repository + "/tags/list")).build(), HttpResponse.BodyHandlers.ofString());
        return list.statusCode() + " " + list.body();
    }

    /** The awaiting run of a fork's commit: completed, action_required, with the approve action. */
    private long awaitApprovalRun(Deployment pr) {
        await().atMost(Duration.ofSeconds(60)).until(() -> !createdFor(pr.commitSha()).isEmpty()
                && fx.reload(pr).checkRunId() != null);
        List<RunCall> created = createdFor(pr.commitSha());
        assertThat(created).hasSize(1);
        JsonNode run = created.get(0).body();
        assertThat(run.path("status").asText()).isEqualTo("completed");
        assertThat(run.path("conclusion").asText()).isEqualTo("action_required");
        assertThat(run.path("external_id").asText()).isEqualTo(String.valueOf(pr.id()));
        assertThat(run.path("output").path("title").asText()).startsWith("Waiting for approval")
                .contains("stranger/web");
        List<JsonNode> actions = new ArrayList<>();
        run.path("actions").forEach(actions::add);
        assertThat(actions).anySatisfy(a -> {
            assertThat(a.path("identifier").asText()).isEqualTo("approve");
            assertThat(a.path("label").asText()).isEqualTo("Approve and build");
        });
        long runId = created.get(0).runId();
        assertThat(fx.reload(pr).checkRunId()).isEqualTo(runId);
        return runId;
    }

    // ---- the tests ----

    @Test
    void forkPullRequest_waitsWithActionRequired_thenTheRequestedActionBuildsItWithoutSecretsIntoThePrRepository_andBranchBuildsGoOn()
            throws Exception {
        String marker = "m" + UUID.randomUUID().toString().substring(0, 8);
        String first = commitOnMain(Map.of("Dockerfile", dockerfile(marker + "-first", 8)));
        assertThat(push(first).statusCode()).isEqualTo(202);
        Deployment running = ofCommit(first);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> fx.reload(running).status().isActive() || fx.reload(running).status().isBuildFinished());
        assertThat(fx.reload(running).status().isActive()).as("the first branch build is running").isTrue();
        String second = commitOnMain(Map.of("Dockerfile", dockerfile(marker + "-second", 0)));
        assertThat(push(second).statusCode()).isEqualTo(202);
        Deployment waiting = ofCommit(second);
        assertThat(waiting.status()).isEqualTo(DeploymentStatus.PENDING);

        // The fork's head branch is called "main" too: it is still a pull request, not the branch.
        String forkSha = forkCommit("stranger-main", dockerfile(marker + "-fork", 0));
        HttpResponse<String> opened = forkPullRequestOpened(7, forkSha, "main");
        assertThat(opened.statusCode()).isEqualTo(202);
        Deployment pr = ofCommit(forkSha);
        assertThat(outcomeOf(opened)).isEqualTo("deployment [" + pr.id() + "] created from the fork stranger/web, awaiting approval");
        assertThat(pr.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(pr.trigger()).isEqualTo(DeploymentTrigger.PULL_REQUEST);
        assertThat(pr.pullRequestNumber()).isEqualTo(7);
        assertThat(pr.fromFork()).isTrue();
        assertThat(pr.headRepository()).isEqualTo("stranger/web");
        assertThat(pr.approvedBy()).isNull();
        long waitingRun = awaitApprovalRun(pr);

        // The branch builds go on, both of them; the fork's request never starts meanwhile.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Deployment now = fx.reload(pr);
            assertThat(now.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
            assertThat(now.buildStartedAt()).isNull();
            return fx.reload(running).status().isBuildFinished() && fx.reload(waiting).status().isBuildFinished();
        });
        for (Deployment branch : List.of(fx.reload(running), fx.reload(waiting))) {
            assertThat(branch.status()).as(() -> branch.errorMessage() + "\n" + logs.read(branch.id()))
                    .isEqualTo(DeploymentStatus.BUILT);
            assertThat(branch.supersededBy()).isNull();
            assertThat(branch.imageTag()).startsWith(REGISTRY + "/" + app.slug() + ":");
        }
        assertThat(logs.read(running.id())).contains(marker + "-first secret: HAS").doesNotContain(apiKey);
        assertThat(logs.read(waiting.id())).contains(marker + "-second secret: HAS").doesNotContain(apiKey);
        Deployment stillWaiting = fx.reload(pr);
        assertThat(stillWaiting.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(stillWaiting.buildStartedAt()).isNull();
        String appTags = tags(app.slug());
        assertThat(appTags).startsWith("200 ").contains(first.substring(0, 12)).contains(second.substring(0, 12));

        // "Approve and build" on GitHub.
        HttpResponse<String> click = approveClick(pr, waitingRun, "maintainer");
        assertThat(click.statusCode()).isEqualTo(202);
        assertThat(outcomeOf(click)).isEqualTo("deployment " + pr.id() + " approved by github:maintainer");
        Deployment built = awaitFinished(pr, 120);
        String log = logs.read(pr.id());
        assertThat(built.status()).as(() -> built.errorMessage() + "\n" + log).isEqualTo(DeploymentStatus.BUILT);
        assertThat(built.approvedBy()).isEqualTo("github:maintainer");
        assertThat(built.approvedAt()).isNotNull();
        assertThat(log).contains(marker + "-fork secret: NO-SECRET").doesNotContain(marker + "-fork secret: HAS")
                .contains("Pull request build from a fork: the app's env vars are not passed")
                .doesNotContain(apiKey);
        String tag = "pr-7-" + forkSha.substring(0, 12);
        assertThat(built.imageTag()).isEqualTo(REGISTRY + "/" + app.slug() + "-pr:" + tag);
        assertThat(tags(app.slug() + "-pr")).startsWith("200 ").contains("\"" + tag + "\"");
        assertThat(tags(app.slug())).isEqualTo(appTags);

        // The build has a run of its own, created after the approval and completed with success;
        // the action_required run is left as it was.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<RunCall> created = createdFor(forkSha);
            if (created.size() < 2) {
                return false;
            }
            JsonNode last = lastBodyOf(created.get(1).runId());
            return last != null && "completed".equals(last.path("status").asText());
        });
        List<RunCall> created = createdFor(forkSha);
        assertThat(created).hasSize(2);
        long buildRun = created.get(1).runId();
        assertThat(buildRun).isNotEqualTo(waitingRun);
        assertThat(created.get(1).body().path("status").asText()).isEqualTo("queued");
        assertThat(created.get(1).body().path("external_id").asText()).isEqualTo(String.valueOf(pr.id()));
        List<RunCall> updates = updatesOf(buildRun);
        assertThat(updates).isNotEmpty();
        JsonNode done = updates.get(updates.size() - 1).body();
        assertThat(done.path("status").asText()).isEqualTo("completed");
        assertThat(done.path("conclusion").asText()).isEqualTo("success");
        assertThat(done.path("output").path("title").asText()).startsWith("Built " + built.imageTag());
        assertThat(updatesOf(waitingRun)).as("the action_required run is not reopened").isEmpty();
        assertThat(fx.reload(pr).checkRunId()).isEqualTo(buildRun);
        assertThat(runCalls()).allSatisfy(c -> assertThat(c.body().toString()).doesNotContain(apiKey));

        // A second click, on the run GitHub still shows or on the build's: nothing changes.
        HttpResponse<String> again = approveClick(pr, waitingRun, "someone-else");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again.body()).path("deployment_ids")).isEmpty();
        assertThat(outcomeOf(again)).startsWith("ignored: check run " + waitingRun);
        HttpResponse<String> onTheNewRun = approveClick(pr, buildRun, "someone-else");
        assertThat(onTheNewRun.statusCode()).isEqualTo(200);
        assertThat(json(onTheNewRun.body()).path("deployment_ids")).isEmpty();
        assertThat(outcomeOf(onTheNewRun)).isEqualTo("unchanged: deployment " + pr.id()
                + " is built, not awaiting approval");
        Deployment after = fx.reload(pr);
        assertThat(after.status()).isEqualTo(DeploymentStatus.BUILT);
        assertThat(after.approvedBy()).isEqualTo("github:maintainer");
        assertThat(after.approvedAt()).isEqualTo(built.approvedAt());
        assertThat(all()).hasSize(3);
    }

    // ---- the dashboard ----

    private DashboardClient dashboard() {
        return new DashboardClient(service.url(), jdbi);
    }

    @Test
    void dashboardApprove_needsTheTeamAndTheCsrfToken() throws Exception {
        String marker = "d" + UUID.randomUUID().toString().substring(0, 8);
        commitOnMain(Map.of("Dockerfile", dockerfile(marker + "-main", 0)));
        String forkSha = forkCommit("stranger-patch", dockerfile(marker + "-fork", 0));
        assertThat(forkPullRequestOpened(9, forkSha, "patch-1").statusCode()).isEqualTo(202);
        Deployment pr = ofCommit(forkSha);
        assertThat(pr.status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        long waitingRun = awaitApprovalRun(pr);

        String page = "/apps/" + app.slug() + "/deployments/" + pr.id();
        String approve = page + "/approve";
        String alice = dashboard().session(team, "alice");
        HttpResponse<String> shown = dashboard().get(page, alice);
        assertThat(shown.statusCode()).isEqualTo(200);
        assertThat(shown.body()).contains("Approve and build").contains("awaiting_approval");
        String csrf = DashboardClient.csrfOf(shown);

        HttpResponse<String> forged = dashboard().post(approve, alice, "csrf=wrong-" + csrf);
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(fx.reload(pr).status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(fx.reload(pr).approvedBy()).isNull();
        assertThat(dashboard().post(approve, alice, "").statusCode()).isEqualTo(403);

        Team globex = fx.team("globex");
        String bob = dashboard().session(globex, "bob");
        String bobsCsrf = DashboardClient.csrfOf(dashboard().get("/apps", bob));
        assertThat(dashboard().get(page, bob).statusCode()).isEqualTo(404);
        HttpResponse<String> outsider = dashboard().post(approve, bob, "csrf=" + bobsCsrf);
        assertThat(outsider.statusCode()).isEqualTo(404);
        assertThat(fx.reload(pr).status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);
        assertThat(fx.reload(pr).approvedBy()).isNull();
        assertThat(fx.reload(pr).buildStartedAt()).isNull();

        HttpResponse<String> approved = dashboard().post(approve, alice, "csrf=" + csrf);
        assertThat(approved.statusCode()).isEqualTo(303);
        assertThat(URI.create(approved.headers().firstValue("Location").orElseThrow()).getPath()).isEqualTo(page);
        Deployment built = awaitFinished(pr, 120);
        String log = logs.read(pr.id());
        assertThat(built.status()).as(() -> built.errorMessage() + "\n" + log).isEqualTo(DeploymentStatus.BUILT);
        assertThat(built.approvedBy()).isEqualTo("rhone:alice");
        assertThat(log).contains(marker + "-fork secret: NO-SECRET").doesNotContain(apiKey);
        assertThat(built.imageTag()).isEqualTo(REGISTRY + "/" + app.slug() + "-pr:pr-9-" + forkSha.substring(0, 12));

        // Approving twice is a conflict on the page, and changes nothing.
        HttpResponse<String> twice = dashboard().post(approve, alice, "csrf=" + csrf);
        assertThat(twice.statusCode()).isEqualTo(409);
        assertThat(fx.reload(pr).approvedBy()).isEqualTo("rhone:alice");
        assertThat(fx.reload(pr).status()).isEqualTo(DeploymentStatus.BUILT);
        assertThat(all()).hasSize(1);

        // The approval on the dashboard gives the build a new run too.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<RunCall> created = createdFor(forkSha);
            if (created.size() < 2) {
                return false;
            }
            JsonNode last = lastBodyOf(created.get(1).runId());
            return last != null && "completed".equals(last.path("status").asText());
        });
        long buildRun = createdFor(forkSha).get(1).runId();
        assertThat(buildRun).isNotEqualTo(waitingRun);
        assertThat(lastBodyOf(buildRun).path("conclusion").asText()).isEqualTo("success");
    }
}
