package com.vangoframework.rhone.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.logs.StepDao.StoredPhase;
import com.vangoframework.rhone.logs.StepDao.StoredStep;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where a build's time went, in its Check Run: the steps and phases the building node recorded
 * (written here through {@link StepDao}, as the recorder writes them), reported by the real
 * reporter to the fake GitHub, whose recorded request bodies are read back.
 */
class CheckRunStepsTest {

    private static final long INSTALLATION = 88;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    // One database and one fake GitHub for the class (migrations take a while); an app, a
    // deployment and a check run id of its own for each test.
    private static DatabaseTarget db;
    private static Jdbi jdbi;
    private static Team team;
    private static FakeGitHub github;
    private static final AtomicLong RUNS = new AtomicLong(900);

    private StepDao steps;
    private LogStore logs;
    private CheckRunReporter reporter;
    private Deployment deployment;
    private long runId;

    @BeforeAll
    static void startAll() {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        team = new Fixtures(jdbi).team("acme");
        github = new FakeGitHub(INSTALLATION, "ghs_check_run_steps", "acme/web");
        github.server.stubFor(patch(urlMatching("/repos/acme/web/check-runs/[0-9]+")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":1,\"name\":\"rhone\"}")));
    }

    @AfterAll
    static void stopAll() {
        github.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        runId = RUNS.incrementAndGet();
        github.server.stubFor(post(urlEqualTo("/repos/acme/web/check-runs")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":" + runId + ",\"name\":\"rhone\"}")));
        steps = jdbi.onDemand(StepDao.class);
        App app = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), "web-" + runId, "acme/web",
                INSTALLATION, null, "main", 600));
        deployment = jdbi.withHandle(h -> DeploymentService.insert(h, NewDeployment.manual(app.id(), "main",
                "c".repeat(40))));
        InstallationTokens tokens = new InstallationTokens(github.url(),
                new AppJwt("1", AppPrivateKey.parse(GitHubAuthTest.pkcs1Pem()), Clock.systemUTC()), Clock.systemUTC());
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("log-flusher"));
        reporter = new CheckRunReporter(jdbi, db, jdbi.onDemand(DeploymentDao.class), jdbi.onDemand(AppDao.class),
                logs, new GitHubClients(github.url(), tokens, Clock.systemUTC()), "rhone", "https://rhone.example.test");
        reporter.report(deployment.id()); // creates the run, queued, as every run starts
        assertThat(jdbi.onDemand(DeploymentDao.class).findById(deployment.id()).orElseThrow().checkRunId())
                .isEqualTo(runId);
    }

    @AfterEach
    void tearDown() {
        reporter.stop();
    }

    @Test
    void aFinishedBuild_showsItsPhasesAndItsFiveSlowestStepsInOrder_withTheirCache() throws Exception {
        // An earlier attempt's steps are not this build's.
        steps.upsertSteps(List.of(step(1, 4, "[build 3/4] RUN npm ci", "done", 99_000L)));
        phases(2, 400, 1_200, 300, 51_000, 3_100);
        steps.upsertSteps(List.of(
                internal(2, 1, "[internal] load build definition from Dockerfile", 9_000L),
                step(2, 2, "[base 1/2] FROM docker.io/library/node:20", "cached", 100L),
                step(2, 3, "[base 2/2] WORKDIR /app", "cached", 0L),
                step(2, 4, "[build 3/4] RUN npm ci", "done", 30_500L),
                step(2, 5, "[build 4/4] RUN npm run build", "done", 12_300L),
                step(2, 6, "[stage-2 2/3] COPY --from=build /app/dist /srv", "done", 1_200L),
                step(2, 7, "exporting to image", "done", 4_000L)));
        finishBuilt();

        String summary = completedOutput().get("summary").asText();
        assertThat(summary).contains("**Phases:** queued 0.4 s · clone 1.2 s · analysis 0.3 s · build 51.0 s · "
                + "push 3.1 s · total 56.0 s");
        assertThat(summary).contains("2 of 6 steps cached");
        assertThat(tableOf(summary)).containsExactly(
                "| Step | Time | Cache |",
                "| --- | ---: | --- |",
                "| \\[build 3/4\\] RUN npm ci | 30.5 s | miss |",
                "| \\[build 4/4\\] RUN npm run build | 12.3 s | miss |",
                "| exporting to image | 4.0 s | miss |",
                "| \\[stage-2 2/3\\] COPY --from=build /app/dist /srv | 1.2 s | miss |",
                "| \\[base 1/2\\] FROM docker.io/library/node:20 | 0.1 s | hit |");
        assertThat(summary).doesNotContain("[internal]").doesNotContain("99.0 s");
        assertThat(summary).startsWith("Image `127.0.0.1:5000/web:cccccccccccc`");
    }

    @Test
    void hostileStepNames_cannotBreakTheTable() throws Exception {
        phases(1, 100, 100, 100, 5_000, 100);
        steps.upsertSteps(List.of(
                step(1, 1, "[1/6] RUN echo '| a | b |'", "done", 6_000L),
                step(1, 2, "[2/6] RUN curl @octocat", "done", 5_000L),
                step(1, 3, "[3/6] RUN echo <script>alert(1)</script>", "done", 4_000L),
                step(1, 4, "[4/6] RUN echo [x](javascript:alert(1))", "done", 3_000L),
                step(1, 5, "[5/6] RUN x\n| --- | --- | --- |\n| injected | row | here |\n# Approved", "done", 2_000L),
                // The slowest, so it is in the table: backticks, an escaped-looking pipe, emphasis.
                step(1, 6, "[6/6] RUN echo ```` and ` and \\| and **bold**", "done", 9_000L)));
        finishBuilt();

        String summary = completedOutput().get("summary").asText();
        List<String> table = tableOf(summary);
        assertThat(table).hasSize(2 + 5);
        assertThat(table).allSatisfy(row -> assertThat(MarkdownTextTest.unescapedPipes(row)).as(row).isEqualTo(4));
        assertThat(summary.lines().filter(l -> l.startsWith("|")).count()).isEqualTo(7);
        assertThat(summary).doesNotContain("<script").doesNotContain("[x](").doesNotContainPattern("@[A-Za-z0-9]")
                .doesNotContain("\n# ").doesNotContain("**bold**");
        assertThat(table.get(2)).startsWith("| \\[6/6\\] RUN echo ").endsWith(" | 9.0 s | miss |");
        assertThat(table.get(3)).isEqualTo("| \\[1/6\\] RUN echo '\\| a \\| b \\|' | 6.0 s | miss |");
        assertThat(table.get(4)).contains("@\u200Doctocat");
    }

    @Test
    void aThousandLongStepNames_andAHugeLog_stayWithinGitHubsLimits() throws Exception {
        phases(1, 100, 100, 100, 5_000, 100);
        String name = "[build] RUN é|@`<".repeat(16 * 1024 / 17);
        List<StoredStep> many = new ArrayList<>();
        for (int v = 1; v <= 1_000; v++) {
            many.add(step(1, v, v + name, v % 3 == 0 ? "cached" : "done", (long) v));
        }
        many.set(999, new StoredStep(deployment.id(), 1, 1_000, name, "", false, "error", T0, T0.plusSeconds(2),
                2_000L, 1, "exit code: 1", ("é`".repeat(5_000) + "\n").repeat(10), 10, 0));
        steps.upsertSteps(many);
        // A log whose characters are mostly two bytes long: GitHub counts its limit in bytes.
        try (BuildLog log = logs.open(deployment.id(), s -> s)) {
            for (int i = 0; i < 500; i++) {
                log.line(i + " " + "ünïcödé ".repeat(125));
            }
        }
        assertThat(logs.awaitStored(deployment.id(), Duration.ofSeconds(10))).isTrue();
        finish("build_failed", "step " + name + " failed with exit code 1");

        JsonNode output = completedOutput();
        for (String field : List.of("summary", "text")) {
            assertThat(output.get(field).asText().getBytes(StandardCharsets.UTF_8).length).as(field)
                    .isLessThanOrEqualTo(65_535);
        }
        String summary = output.get("summary").asText();
        assertThat(summary).contains("333 of 1000 steps cached");
        List<String> table = tableOf(summary);
        assertThat(table).hasSize(7);
        assertThat(table.subList(2, 7)).allSatisfy(row -> {
            assertThat(MarkdownTextTest.unescapedPipes(row)).as(row).isEqualTo(4);
            assertThat(row).contains("…").endsWith(" |");
        });
        assertThat(table.get(2)).endsWith("| 2.0 s | failed |");
        assertThat(summary).contains("**Failed step:** ");
        assertThat(output.get("text").asText()).contains("499 ünïcödé").startsWith("```\n…\n");
    }

    @Test
    void aFailedStep_showsItsLastLinesFencedUnderIt_andABacktickLineCannotEndTheFence() throws Exception {
        phases(1, 100, 200, 300, 4_000);
        String lastLines = String.join("\n", "cc -c main.c", "```", "[click me](https://evil.example) @everyone",
                "main.c:42:1: error: missing semicolon", "make: *** [all] Error 2");
        steps.upsertSteps(List.of(
                step(1, 1, "[1/2] COPY . /src", "done", 300L),
                new StoredStep(deployment.id(), 1, 2, "[2/2] RUN make", "", false, "error", T0, T0.plusSeconds(4),
                        4_000L, 2, "process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
                        lastLines, 1_234, 0),
                new StoredStep(deployment.id(), 1, 3, "[side 1/1] RUN sleep 60", "side", false, "canceled", T0,
                        T0.plusSeconds(4), 4_000L, null, "context canceled", "", 0, 0)));
        finish("build_failed", "step [2/2] RUN make failed with exit code 2");

        JsonNode output = completedOutput();
        assertThat(output.get("title").asText()).isEqualTo("step [2/2] RUN make failed with exit code 2");
        String summary = output.get("summary").asText();
        assertThat(summary).startsWith("step \\[2/2\\] RUN make failed with exit code 2\n\n[Build log](");
        assertThat(summary).contains("**Failed step:** \\[2/2\\] RUN make (exit code 2), its last 5 of 1234 "
                + "output lines:\n\n````\n" + lastLines + "\n````\n");
        int open = summary.indexOf("\n````\n") + 6;
        String block = summary.substring(open, summary.indexOf("\n````\n", open));
        assertThat(block).isEqualTo(lastLines);
        assertThat(block.lines()).noneMatch(l -> l.strip().startsWith("````"));
        assertThat(summary).contains("**Phases:** queued 0.1 s · clone 0.2 s · analysis 0.3 s · build 4.0 s")
                .doesNotContain("push");
        assertThat(tableOf(summary)).contains("| \\[side 1/1\\] RUN sleep 60 | 4.0 s | canceled |",
                "| \\[2/2\\] RUN make | 4.0 s | failed |");
    }

    @Test
    void aBuildStillRunning_showsThePhasesAndStepsSoFar() throws Exception {
        phases(1, 100, 200, 300, -1);
        steps.upsertSteps(List.of(step(1, 1, "[1/2] COPY . /src", "done", 300L),
                new StoredStep(deployment.id(), 1, 2, "[2/2] RUN make", "", false, "running", T0, null, null, null,
                        null, "", 0, 0)));
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'building', attempt = 1, "
                + "build_started_at = ? WHERE id = ?", T0, deployment.id()));
        reporter.report(deployment.id());

        JsonNode body = lastPatch();
        assertThat(body.get("status").asText()).isEqualTo("in_progress");
        String summary = body.get("output").get("summary").asText();
        assertThat(summary).startsWith("Building (attempt 1).")
                .contains("**Phases:** queued 0.1 s · clone 0.2 s · analysis 0.3 s · build running")
                .doesNotContain("total").contains("0 of 2 steps cached");
        assertThat(tableOf(summary)).endsWith("| \\[1/2\\] COPY . /src | 0.3 s | miss |",
                "| \\[2/2\\] RUN make | running | running |");
    }

    // ---- rows as the recorder writes them ----

    private StoredStep step(int attempt, int vertex, String name, String status, Long ms) {
        return new StoredStep(deployment.id(), attempt, vertex, name, "", false, status, T0,
                ms == null ? null : T0.plusMillis(ms), ms, null, null, "", 0, 0);
    }

    private StoredStep internal(int attempt, int vertex, String name, long ms) {
        return new StoredStep(deployment.id(), attempt, vertex, name, "", true, "done", T0, T0.plusMillis(ms), ms,
                null, null, "", 0, 0);
    }

    /** The first phases one after another, each lasting the given milliseconds; -1: the phase still runs. */
    private void phases(int attempt, int... millis) {
        String[] names = {"queued", "clone", "analysis", "build", "push"};
        List<StoredPhase> rows = new ArrayList<>();
        Instant at = T0;
        for (int i = 0; i < millis.length; i++) {
            if (millis[i] < 0) {
                rows.add(new StoredPhase(deployment.id(), attempt, names[i], at, null));
                break;
            }
            rows.add(new StoredPhase(deployment.id(), attempt, names[i], at, at.plusMillis(millis[i])));
            at = at.plusMillis(millis[i]);
        }
        steps.upsertPhases(rows);
    }

    private void finishBuilt() {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'built', attempt = 1, image_tag = ?, "
                + "image_digest = ?, build_started_at = ?, build_finished_at = ?, build_duration_ms = 56000 "
                + "WHERE id = ?", "127.0.0.1:5000/web:cccccccccccc", "sha256:" + "d".repeat(64), T0,
                T0.plusSeconds(56), deployment.id()));
        reporter.report(deployment.id());
    }

    private void finish(String status, String error) {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = ?, attempt = 1, error_message = ?, "
                + "build_started_at = ?, build_finished_at = ? WHERE id = ?", status, error, T0, T0.plusSeconds(5),
                deployment.id()));
        reporter.report(deployment.id());
    }

    private JsonNode completedOutput() throws Exception {
        JsonNode body = lastPatch();
        assertThat(body.get("status").asText()).isEqualTo("completed");
        return body.get("output");
    }

    private JsonNode lastPatch() throws Exception {
        List<LoggedRequest> patches = github.server.findAll(patchRequestedFor(urlEqualTo(
                "/repos/acme/web/check-runs/" + runId)));
        assertThat(patches).isNotEmpty();
        return JSON.readTree(patches.get(patches.size() - 1).getBodyAsString());
    }

    /** The lines of the summary's table, from its header on. */
    private static List<String> tableOf(String summary) {
        List<String> lines = summary.lines().toList();
        int header = lines.indexOf("| Step | Time | Cache |");
        assertThat(header).as("the table's header in:\n" + summary).isNotNegative();
        List<String> table = new ArrayList<>();
        for (int i = header; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            table.add(lines.get(i));
        }
        return table;
    }
}
