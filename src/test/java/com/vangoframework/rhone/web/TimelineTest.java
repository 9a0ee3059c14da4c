package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.SseClient;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Build insights on the web side against a running service: the steps API, the {@code step}
 * events of the log stream and their resumption, the deployment page's timeline and the app
 * page's history. Steps and phases are written with {@link StepDao} as the building node's
 * recorder writes them; no worker runs, so rows stay as they were made.
 */
class TimelineTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Instant t0 = Instant.parse("2026-12-02T10:00:00Z");
    private Jdbi jdbi;
    private Fixtures fx;
    private StepDao steps;
    private Team acme;
    private App web;
    private TestService service;
    private DashboardClient dashboard;

    @BeforeEach
    void setUp() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        steps = jdbi.onDemand(StepDao.class);
        acme = fx.team("acme");
        web = fx.app(acme, "web");
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.heartbeat", "300ms")).start();
        dashboard = new DashboardClient(service.url(), jdbi);
    }

    @AfterEach
    void tearDown() {
        service.stop();
    }

    private StepDao.StoredStep step(Deployment d, int attempt, int vertex, String name, String status,
                                    long startMs, Long endMs, boolean internal, String lastLines) {
        Instant start = t0.plusMillis(startMs);
        Instant end = endMs == null ? null : t0.plusMillis(endMs);
        return new StepDao.StoredStep(d.id(), attempt, vertex, name, "", internal, status, start, end,
                endMs == null ? null : endMs - startMs, "error".equals(status) ? 2 : null,
                "error".equals(status) ? "process \"/bin/sh -c make\" did not complete successfully: exit code: 2"
                        : null, lastLines, lastLines.isEmpty() ? 0 : lastLines.lines().count(), 0);
    }

    private StepDao.StoredPhase phase(Deployment d, int attempt, String name, long startMs, Long endMs) {
        return new StepDao.StoredPhase(d.id(), attempt, name, t0.plusMillis(startMs),
                endMs == null ? null : t0.plusMillis(endMs));
    }

    /** A failed build's second attempt: four steps (one internal, two cached, one failed), five phases. */
    private Deployment failedBuild(String hostileName) {
        Deployment d = fx.pending(web);
        steps.upsertPhases(List.of(phase(d, 1, "queued", 0, 100L)));
        steps.upsertSteps(List.of(step(d, 1, 1, "an earlier attempt's step", "done", 0, 10L, false, "")));
        steps.upsertPhases(List.of(phase(d, 2, "queued", 0, 500L), phase(d, 2, "clone", 500, 1500L),
                phase(d, 2, "analysis", 1500, 2000L), phase(d, 2, "build", 2000, 6000L),
                phase(d, 2, "push", 6000, 7000L)));
        steps.upsertSteps(List.of(
                step(d, 2, 1, "[internal] load build definition from Dockerfile", "done", 2000, 2100L, true, ""),
                step(d, 2, 2, "[1/3] FROM local/busybox:1", "cached", 2100, 2100L, false, ""),
                step(d, 2, 3, hostileName, "cached", 2100, 2100L, false, ""),
                step(d, 2, 4, "[3/3] RUN make", "error", 2200, 5900L, false,
                        "cc -c main.c\nmain.c:42: error: missing semicolon\nmake: *** [all] Error 2")));
        return d;
    }

    private HttpResponse<String> api(String path, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(service.url() + path));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(r.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theStepsApi_answersTheLatestAttemptsPhasesStepsAndSummary_inTheDeploymentsFieldNames() throws Exception {
        Deployment d = failedBuild("[2/3] COPY . .");
        HttpResponse<String> answer = api("/api/apps/web/deployments/" + d.id() + "/steps", fx.token(acme));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.get("deployment_id").asLong()).isEqualTo(d.id());
        assertThat(body.get("attempt").asInt()).isEqualTo(2);
        assertThat(body.has("last_change")).as("the stream's cursor stays inside").isFalse();
        assertThat(body.get("phases")).extracting(p -> p.get("phase").asText())
                .containsExactly("queued", "clone", "analysis", "build", "push");
        JsonNode build = body.get("phases").get(3);
        assertThat(build.get("started_at").asText()).isEqualTo("2026-12-02T10:00:02Z");
        assertThat(build.get("ended_at").asText()).isEqualTo("2026-12-02T10:00:06Z");
        assertThat(build.get("duration_ms").asLong()).isEqualTo(4000);

        assertThat(body.get("steps")).extracting(s -> s.get("vertex").asInt()).containsExactly(1, 2, 3, 4);
        JsonNode failed = body.get("steps").get(3);
        List<String> fields = new ArrayList<>();
        failed.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).contains("vertex", "name", "stage", "internal", "status", "cached", "started_at",
                "ended_at", "duration_ms", "exit_code", "error", "last_lines", "line_count", "change_seq");
        assertThat(failed.get("change_seq").asLong()).as("the order of its last change, to keep the newer state")
                .isEqualTo(steps.steps(d.id(), 2).get(3).changeSeq());
        assertThat(failed.get("name").asText()).isEqualTo("[3/3] RUN make");
        assertThat(failed.get("status").asText()).isEqualTo("error");
        assertThat(failed.get("cached").asBoolean()).isFalse();
        assertThat(failed.get("duration_ms").asLong()).isEqualTo(3700);
        assertThat(failed.get("exit_code").asInt()).isEqualTo(2);
        assertThat(failed.get("error").asText()).contains("exit code: 2");
        assertThat(failed.get("last_lines")).extracting(JsonNode::asText).containsExactly("cc -c main.c",
                "main.c:42: error: missing semicolon", "make: *** [all] Error 2");
        assertThat(failed.get("line_count").asLong()).isEqualTo(3);
        assertThat(body.get("steps").get(1).get("cached").asBoolean()).isTrue();
        assertThat(body.get("steps").get(0).get("internal").asBoolean()).isTrue();
        assertThat(body.get("steps").get(0).get("last_lines")).isEmpty();

        JsonNode summary = body.get("summary");
        assertThat(summary.get("steps").asInt()).as("not counting the internal step").isEqualTo(3);
        assertThat(summary.get("cached_steps").asInt()).isEqualTo(2);
        assertThat(summary.get("build_duration_ms").asLong()).isEqualTo(4000);
        assertThat(summary.get("push_duration_ms").asLong()).isEqualTo(1000);

        // A deployment that recorded nothing yet: attempt 0, empty lists.
        Deployment fresh = fx.pending(web);
        JsonNode none = JSON.readTree(api("/api/apps/web/deployments/" + fresh.id() + "/steps", fx.token(acme)).body());
        assertThat(none.get("attempt").asInt()).isZero();
        assertThat(none.get("steps")).isEmpty();
        assertThat(none.get("summary").get("steps").asInt()).isZero();
        assertThat(none.get("summary").get("build_duration_ms").isNull()).isTrue();
    }

    @Test
    void theStepsApi_isTeamScoped_anotherTeamsAppOrDeploymentIs404_andNoTokenIs401() throws Exception {
        Deployment d = failedBuild("[2/3] COPY . .");
        Team globex = fx.team("globex");
        App theirs = fx.app(globex, "theirs");
        String theirToken = fx.token(globex);

        HttpResponse<String> foreign = api("/api/apps/web/deployments/" + d.id() + "/steps", theirToken);
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(foreign.body()).contains("no app named 'web' in your team").doesNotContain("RUN make");
        // Their own app's path with this team's deployment id: still not found.
        HttpResponse<String> crossed = api("/api/apps/" + theirs.slug() + "/deployments/" + d.id() + "/steps",
                theirToken);
        assertThat(crossed.statusCode()).isEqualTo(404);
        assertThat(crossed.body()).contains("no deployment " + d.id()).doesNotContain("RUN make");
        assertThat(api("/api/apps/web/deployments/" + d.id() + "/steps", null).statusCode()).isEqualTo(401);
        assertThat(api("/api/apps/web/deployments/999999/steps", fx.token(acme)).statusCode()).isEqualTo(404);
        assertThat(api("/api/apps/web/deployments/abc/steps", fx.token(acme)).statusCode()).isEqualTo(404);
    }

    private String streamUrl(Deployment d) {
        return service.url() + "/apps/web/deployments/" + d.id() + "/logs";
    }

    private void building(Deployment d) {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'building', build_started_at = now() "
                + "WHERE id = ?", d.id()));
    }

    private void built(Deployment d) {
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'built', build_finished_at = now(), "
                + "build_duration_ms = 7000 WHERE id = ?", d.id()));
    }

    private void printLines(Deployment d, int from, int to) {
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
        try (BuildLog log = logs.open(d.id(), s -> s)) {
            for (int i = from; i < to; i++) {
                log.line("#4 line " + i);
            }
        }
    }

    /** What one connection received: lines, each step event's JSON and id, and the last id. */
    private static final class Received {
        final List<String> lines = new ArrayList<>();
        final List<JsonNode> steps = new ArrayList<>();
        final List<String> stepIds = new ArrayList<>();
        final List<JsonNode> phases = new ArrayList<>();
        final List<String> resetIds = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        String lastId;
        boolean complete;

        /** Reads until {@code done} holds or the stream completes. */
        Received read(SseClient sse, java.util.function.Predicate<Received> done) throws Exception {
            while (!done.test(this) && !complete) {
                SseClient.Event e = sse.next(30);
                assertThat(e).as("the stream ended early").isNotNull();
                if (e.isComment()) {
                    continue;
                }
                lastId = e.id();
                events.add(e.name());
                switch (e.name()) {
                    case "phases" -> phases.add(JSON.readTree(e.data().get(0)));
                    case "reset" -> resetIds.add(e.id());
                    case "log" -> lines.addAll(e.data().stream().map(l -> l.substring(l.indexOf(' ') + 1)).toList());
                    case "step" -> {
                        steps.add(JSON.readTree(e.data().get(0)));
                        stepIds.add(e.id());
                    }
                    case "complete" -> complete = true;
                    default -> { }
                }
            }
            return this;
        }

        Map<Integer, String> lastStatusByVertex() {
            Map<Integer, String> out = new LinkedHashMap<>();
            steps.forEach(s -> out.put(s.get("vertex").asInt(), s.get("status").asText()));
            return out;
        }

        List<Integer> vertices() {
            return steps.stream().map(s -> s.get("vertex").asInt()).toList();
        }
    }

    private static long changeOf(String id) {
        return Long.parseLong(id.substring(id.indexOf('.') + 1));
    }

    @Test
    void stepEvents_arriveLive_andAResumeFromTheirIdLosesNoChange_repeatsNone_andLeavesTheLogLinesAlone()
            throws Exception {
        Deployment d = fx.pending(web);
        building(d);
        printLines(d, 0, 50);
        String cookie = dashboard.session(acme, "octocat");

        Received first = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, null)) {
            assertThat(sse.status()).isEqualTo(200);
            first.read(sse, r -> r.lines.size() == 50);
            assertThat(first.lastId).as("no step yet: the id is the line count alone").isEqualTo("50");
            steps.upsertSteps(List.of(step(d, 1, 1, "[1/2] FROM local/busybox:1", "running", 0, null, false, ""),
                    step(d, 1, 2, "[2/2] RUN make", "running", 10, null, false, "")));
            steps.upsertSteps(List.of(step(d, 1, 1, "[1/2] FROM local/busybox:1", "cached", 0, 0L, false, "")));
            first.read(sse, r -> "cached".equals(r.lastStatusByVertex().get(1)) && r.lastStatusByVertex().size() == 2);
        }
        assertThat(first.lastStatusByVertex()).containsEntry(1, "cached").containsEntry(2, "running");
        assertThat(first.stepIds).allMatch(id -> id.matches("50\\.\\d+"));
        assertThat(first.stepIds.stream().map(TimelineTest::changeOf).toList()).isSorted().doesNotHaveDuplicates();
        JsonNode make = first.steps.stream().filter(s -> s.get("vertex").asInt() == 2).findFirst().orElseThrow();
        assertThat(make.get("name").asText()).isEqualTo("[2/2] RUN make");
        assertThat(make.get("attempt").asInt()).isEqualTo(1);
        assertThat(make.get("ended_at").isNull()).isTrue();
        assertThat(make.get("last_lines").isArray()).isTrue();

        // While the viewer is away: more lines, a step ends, another is taken from the cache.
        printLines(d, 50, 60);
        steps.upsertSteps(List.of(step(d, 1, 2, "[2/2] RUN make", "done", 10, 3000L, false, "ok"),
                step(d, 1, 3, "exporting to image", "done", 3000, 3500L, true, "")));
        built(d);

        Received resumed = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, first.lastId)) {
            resumed.read(sse, r -> false);
        }
        assertThat(resumed.complete).isTrue();
        assertThat(resumed.lines).as("exactly the lines after the 50th")
                .containsExactlyElementsOf(java.util.stream.IntStream.range(50, 60).mapToObj(i -> "#4 line " + i)
                        .toList());
        assertThat(resumed.vertices()).as("each change after the last one received, once").containsExactly(2, 3);
        assertThat(resumed.lastStatusByVertex()).containsEntry(2, "done").containsEntry(3, "done");
        assertThat(changeOf(resumed.stepIds.get(0))).isGreaterThan(changeOf(first.lastId));

        // A page that rendered 50 lines and the steps up to that change opens with ?after=: the same rest.
        Received fromPage = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d) + "?after=" + first.lastId, cookie, null)) {
            fromPage.read(sse, r -> false);
        }
        assertThat(fromPage.lines).hasSize(10);
        assertThat(fromPage.vertices()).containsExactly(2, 3);

        // A plain number is lines only: every step, each as it is now, and the lines after it.
        Received plain = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, "55")) {
            plain.read(sse, r -> false);
        }
        assertThat(plain.lines).containsExactly("#4 line 55", "#4 line 56", "#4 line 57", "#4 line 58",
                "#4 line 59");
        assertThat(plain.vertices()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(plain.lastStatusByVertex()).containsEntry(1, "cached").containsEntry(2, "done");
    }

    @Test
    void anotherTeamsViewer_getsA404_andNoStepEvents() throws Exception {
        Deployment d = failedBuild("[2/3] COPY . .");
        String stranger = dashboard.session(fx.team("globex"), "mallory");
        try (SseClient sse = SseClient.open(streamUrl(d), stranger, null)) {
            assertThat(sse.status()).isEqualTo(404);
            assertThat(new String(sse.response().body().readAllBytes())).doesNotContain("RUN make")
                    .doesNotContain("event: step");
        }
        HttpResponse<String> json = dashboard.get("/apps/web/deployments/" + d.id() + "/steps", stranger);
        assertThat(json.statusCode()).isEqualTo(404);
        assertThat(json.body()).doesNotContain("RUN make");
    }

    @Test
    void theDeploymentPage_drawsTheTimeline_marksCachedFailedAndSlowSteps_andEscapesStepNames() throws Exception {
        Deployment d = failedBuild("<img src=x onerror=alert(1)></script>");
        String page = dashboard.get("/apps/web/deployments/" + d.id(), dashboard.session(acme, "octocat")).body();

        assertThat(count(page, "<li class=\"tl-row phase done\"")).as("no bar for the queue").isEqualTo(4);
        assertThat(count(page, "<li class=\"tl-row step ")).as("the latest attempt's steps").isEqualTo(4);
        assertThat(page).doesNotContain("an earlier attempt&#39;s step");
        assertThat(count(page, "<li class=\"tl-row step cached")).isEqualTo(2);
        assertThat(count(page, "<span class=\"tl-tag\">cached</span>")).isEqualTo(2);
        assertThat(page).contains("<li class=\"tl-row step error slow\" data-key=\"step-4\"")
                .contains("<li class=\"tl-row step done internal\" data-key=\"step-1\"");
        assertThat(page).contains("2 of 3 steps cached · build 4.0 s · push 1.0 s · queued 0.5 s");
        // The bar's place and length on the axis (from the claim, clone's start at 0.5 s, to push's
        // end at 7 s): SVG attributes.
        assertThat(page).contains("<rect x=\"26.15%\" y=\"1\" width=\"56.92%\" height=\"12\"></rect>");
        assertThat(page).contains("data-queued=\"500\"");
        long makeSeq = steps.steps(d.id(), 2).stream().filter(s -> s.vertex() == 4).findFirst().orElseThrow()
                .changeSeq();
        assertThat(page).contains("data-seq=\"" + makeSeq + "\"");
        // The failed step's last lines right under the error sentence.
        assertThat(page).containsPattern(Pattern.compile(
                "<div id=\"error-step\" class=\"error-step\" >\\s*<p class=\"muted\">Last lines of <span "
                        + "id=\"error-step-name\" class=\"mono\">\\[3/3\\] RUN make</span>"));
        assertThat(page).contains("main.c:42: error: missing semicolon\nmake: *** [all] Error 2</pre>");
        assertThat(page).contains("&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;")
                .doesNotContain("<img src=x").doesNotContain("alert(1)></script>");
        assertThat(page).contains("data-change=\"" + steps.steps(d.id(), 2).stream()
                .mapToLong(StepDao.StoredStep::changeSeq).max().orElseThrow() + "\"");
    }

    @Test
    void theAppPage_drawsTheRecentBuildsStackedByPhase_withEachOnesCacheShare() throws Exception {
        Deployment failed = failedBuild("[2/3] COPY . .");
        Deployment quick = fx.pending(web);
        steps.upsertPhases(List.of(phase(quick, 1, "queued", 0, 100L), phase(quick, 1, "build", 100, 1000L)));
        steps.upsertSteps(List.of(step(quick, 1, 1, "[1/1] FROM x", "cached", 100, 100L, false, "")));
        Deployment none = fx.pending(web);

        List<StepDao.BuildHistory> history = steps.history(web.id(), 30);
        assertThat(history).extracting(StepDao.BuildHistory::deploymentId)
                .containsExactly(none.id(), quick.id(), failed.id());
        StepDao.BuildHistory h = history.get(2);
        assertThat(List.of(h.attempt(), (int) h.queuedMs(), (int) h.cloneMs(), (int) h.analysisMs(),
                (int) h.buildMs(), (int) h.pushMs(), (int) h.steps(), (int) h.cachedSteps()))
                .containsExactly(2, 500, 1000, 500, 4000, 1000, 3, 2);

        String page = dashboard.get("/apps/web", dashboard.session(acme, "octocat")).body();
        assertThat(count(page, "class=\"history-bar\"")).isEqualTo(3);
        // Oldest on the left; the longest (6.5 s from the claim; its 0.5 s in the queue is left out)
        // is 100 units tall, its phases stacked from the bottom (build: 4 s of 6.5 under the push's
        // 1 s); the quick one's 0.9 s build is a little slice.
        assertThat(page).contains("<rect class=\"build\" x=\"3\" y=\"15.4\" width=\"14\" height=\"61.5\">")
                .contains("<rect class=\"push\" x=\"3\" y=\"0\" width=\"14\" height=\"15.4\">")
                .contains("<rect class=\"build\" x=\"23\" y=\"86.2\" width=\"14\" height=\"13.8\">")
                .doesNotContain("<rect class=\"queued\"")
                .contains("queued 0.5 s")
                .contains("data-id=\"" + failed.id() + "\" data-cache=\"67%\"")
                .contains("data-id=\"" + quick.id() + "\" data-cache=\"100%\"")
                .contains("data-id=\"" + none.id() + "\" data-cache=\"\"");

        // An app whose deployments recorded nothing (built before the recording) gets no picture.
        fx.pending(fx.app(acme, "older"));
        String older = dashboard.get("/apps/older", dashboard.session(acme, "octocat")).body();
        assertThat(older).contains("<table id=\"deployments\"").doesNotContain("id=\"history\"");
    }

    private static long count(String page, String needle) {
        return Pattern.compile(Pattern.quote(needle)).matcher(page).results().count();
    }

    @Test
    void deletedStepRows_sendAReset_theStreamGoesOnAfterIt_andAReconnectFromBeforeTheDeleteIsResetToo()
            throws Exception {
        Deployment d = fx.pending(web);
        building(d);
        String cookie = dashboard.session(acme, "octocat");
        Received first = new Received();
        String beforeDelete;
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, null)) {
            steps.upsertSteps(List.of(step(d, 1, 1, "[1/2] FROM local/busybox:1", "cached", 0, 0L, false, ""),
                    step(d, 1, 2, "[2/2] RUN make", "error", 10, 900L, false, "boom")));
            first.read(sse, r -> r.steps.size() == 2);
            beforeDelete = first.lastId;
            // BuildKit runs again after a registry error: the first run's rows go, #1 starts over.
            steps.deleteSteps(d.id(), 1);
            steps.upsertSteps(List.of(step(d, 1, 1, "[1/2] FROM local/busybox:1", "running", 1000, null, false,
                    "")));
            first.read(sse, r -> !r.resetIds.isEmpty() && r.steps.size() == 3);
        }
        long reset = steps.resetPoint(d.id());
        assertThat(reset).isGreaterThan(changeOf(beforeDelete));
        assertThat(first.resetIds).containsExactly("0." + reset);
        assertThat(first.events.indexOf("reset")).as("the reset before the step written after the delete")
                .isLessThan(first.events.lastIndexOf("step"));
        JsonNode again = first.steps.get(2);
        assertThat(again.get("status").asText()).isEqualTo("running");
        assertThat(again.get("change_seq").asLong()).isEqualTo(changeOf(first.stepIds.get(2))).isGreaterThan(reset);

        // A page that got the deleted rows and comes back later is told to read the steps again,
        // then gets what changed after the delete; a page that was told already is not.
        Received back = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, beforeDelete)) {
            back.read(sse, r -> r.steps.size() == 1);
        }
        assertThat(back.resetIds).containsExactly("0." + reset);
        assertThat(back.vertices()).containsExactly(1);
        Received current = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, first.lastId)) {
            steps.upsertSteps(List.of(step(d, 1, 2, "[2/2] RUN make", "running", 1100, null, false, "")));
            current.read(sse, r -> r.steps.size() == 1);
        }
        assertThat(current.resetIds).isEmpty();
        assertThat(current.vertices()).containsExactly(2);
    }

    @Test
    void phasesWrittenAfterTheStatusMoved_reachAnOpenStreamAsPhasesEvents() throws Exception {
        Deployment d = fx.pending(web);
        building(d);
        String cookie = dashboard.session(acme, "octocat");
        Received r = new Received();
        try (SseClient sse = SseClient.open(streamUrl(d), cookie, null)) {
            r.read(sse, x -> !x.events.isEmpty());
            assertThat(r.phases).as("none recorded yet: no event").isEmpty();
            steps.upsertPhases(List.of(phase(d, 1, "queued", 0, 100L), phase(d, 1, "clone", 100, null)));
            r.read(sse, x -> x.phases.size() == 1);
            // No status change: the clone's end and the next phase's start come on their own.
            steps.upsertPhases(List.of(phase(d, 1, "clone", 100, 900L), phase(d, 1, "analysis", 900, null)));
            r.read(sse, x -> x.phases.get(x.phases.size() - 1).get("phases").size() == 3);
        }
        JsonNode last = r.phases.get(r.phases.size() - 1);
        assertThat(last.get("attempt").asInt()).isEqualTo(1);
        assertThat(last.get("phases")).extracting(p -> p.get("phase").asText())
                .containsExactly("queued", "clone", "analysis");
        assertThat(last.get("phases").get(1).get("duration_ms").asLong()).isEqualTo(800);
        assertThat(last.get("phases").get(2).get("ended_at").isNull()).isTrue();
    }

    @Test
    void aLongWaitInTheQueue_isAFigureInTheSummary_andDoesNotSqueezeTheSteps() {
        long queued = Duration.ofDays(2).plusHours(3).toMillis();
        Instant claim = t0.plusMillis(queued);
        Timeline t = Timeline.of(1, 1, List.of(
                new StepDao.StoredPhase(1, 1, "queued", t0, claim),
                new StepDao.StoredPhase(1, 1, "clone", claim, claim.plusSeconds(2)),
                new StepDao.StoredPhase(1, 1, "build", claim.plusSeconds(2), claim.plusSeconds(12))),
                List.of(new StepDao.StoredStep(1, 1, 1, "[1/1] RUN make", "", false, "done", claim.plusSeconds(2),
                        claim.plusSeconds(12), 10_000L, null, null, "", 0, 7)));
        TimelineView v = TimelineView.of(t, claim.plusSeconds(20));
        assertThat(v.summary()).isEqualTo("0 of 1 step cached · build 10.0 s · queued 2 d 3 h");
        assertThat(v.axisStart()).as("the claim").isEqualTo(claim.toEpochMilli());
        assertThat(v.phases()).extracting(TimelineView.Row::name).containsExactly("clone", "build");
        assertThat(v.steps().get(0).x()).isEqualTo("16.67%");
        assertThat(v.steps().get(0).width()).isEqualTo("83.33%");
        assertThat(TimelineView.waited(Duration.ofMinutes(200).toMillis())).isEqualTo("3 h 20 min");

        // The app page's bars leave the wait out of their height, and say it in the tooltip.
        HistoryView h = HistoryView.of(List.of(
                new StepDao.BuildHistory(2, "built", 1, queued, 1000, 0, 9000, 0, 1, 0),
                new StepDao.BuildHistory(1, "built", 1, 100, 1000, 0, 4000, 0, 1, 0)));
        assertThat(h.longest()).isEqualTo("10.0 s");
        assertThat(h.bars().get(1).segments()).extracting(HistoryView.Segment::phase).containsExactly("clone", "build");
        assertThat(h.bars().get(1).segments().get(1).height()).isEqualTo("90");
        assertThat(h.bars().get(0).segments().get(1).height()).as("not flattened").isEqualTo("40");
        assertThat(h.bars().get(1).title()).contains("queued 2 d 3 h");
    }
}
