package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.LoggingPipeline;
import com.vangoframework.rhone.testing.SseClient;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live log stream against running services: what a deployment page's EventSource receives. */
class LogStreamTest {

    @TempDir
    Path dir;

    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;
    private App app;
    private String session;
    private final AtomicReference<LoggingPipeline> pipeline = new AtomicReference<>();
    private final List<TestService> services = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        app = fx.app(team, "web");
        session = signIn(team, "octocat");
    }

    @AfterEach
    void tearDown() {
        services.forEach(TestService::stop);
    }

    private String signIn(Team team, String login) {
        long userId = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User user = dao.upsertUser(login);
            dao.addMember(team.id(), user.id());
            return user.id();
        });
        return new Sessions(jdbi, Clock.systemUTC()).create(userId);
    }

    private TestService service(String name, boolean worker, ConfigOverride... extra) throws Exception {
        List<ConfigOverride> overrides = new ArrayList<>(List.of(
                ConfigOverride.config("builds.workerEnabled", Boolean.toString(worker)),
                ConfigOverride.config("dashboard.heartbeat", "300ms")));
        overrides.addAll(List.of(extra));
        TestService s = TestService.withPipelineFrom(db, dir.resolve(name), parts -> {
            LoggingPipeline p = new LoggingPipeline(parts.logs());
            pipeline.compareAndSet(null, p);
            return p;
        }, overrides.toArray(ConfigOverride[]::new)).start();
        services.add(s);
        return s;
    }

    private String streamUrl(TestService s, Deployment d) {
        return s.url() + "/apps/" + app.slug() + "/deployments/" + d.id() + "/logs";
    }

    /** Reads log events until {@code complete}; returns every line, and checks ids as it goes. */
    private static List<String> readToComplete(SseClient sse, List<String> statuses) throws Exception {
        List<String> lines = new ArrayList<>();
        long lastId = -1;
        for (SseClient.Event e = sse.next(60); e != null; e = sse.next(60)) {
            if (e.isComment()) {
                continue;
            }
            switch (e.name()) {
                case "log" -> {
                    lines.addAll(e.data());
                    long id = Long.parseLong(e.id());
                    assertThat(id).isGreaterThan(lastId);
                    lastId = id;
                }
                case "status" -> statuses.add(e.data().get(0));
                case "complete" -> {
                    statuses.add(e.data().get(0));
                    assertThat(sse.next(10)).as("the stream ends after complete").isNull();
                    return lines;
                }
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        throw new AssertionError("the stream ended without a complete event");
    }

    private static List<String> texts(List<String> stamped) {
        // Each stored line is "<ISO instant> <text>".
        return stamped.stream().map(l -> {
            assertThat(l).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z .*");
            return l.substring(l.indexOf(' ') + 1);
        }).toList();
    }

    @Test
    void linesArriveWhileTheBuildRuns_framedExactly_andTheStreamEndsWithComplete() throws Exception {
        TestService s = service("a", true);
        LoggingPipeline p = pipeline.get();
        List<String> odd = List.of("  indented by two", "", "data: not a field", "id: 99", "unicode ✓ ünï",
                "tab\there", "s3cr3t is masked");
        p.lines = 400;
        p.holdAfter = 150;
        p.text = i -> i < odd.size() ? odd.get(i) : "line " + i;
        Deployment d = fx.pending(app);
        await().atMost(Duration.ofSeconds(30)).until(() -> p.holding.getCount() == 0);

        try (SseClient sse = SseClient.open(streamUrl(s, d), session, null)) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.response().headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            assertThat(sse.response().headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(sse.response().headers().firstValue("X-Accel-Buffering")).hasValue("no");
            // While the build holds: the first 150 lines are here, and the build is still running.
            List<String> early = new ArrayList<>();
            List<String> statuses = new ArrayList<>();
            boolean heartbeat = false;
            while (early.size() < 150 || !heartbeat) {
                SseClient.Event e = sse.next(30);
                if (e.isComment()) {
                    heartbeat = true;
                } else if ("log".equals(e.name())) {
                    early.addAll(e.data());
                } else if ("status".equals(e.name())) {
                    statuses.add(e.data().get(0));
                }
            }
            assertThat(early).hasSize(150);
            assertThat(statuses).hasSize(1).first().asString().contains("\"status\":\"building\"");
            assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.BUILDING);

            p.release.countDown();
            List<String> rest = readToComplete(sse, statuses);
            List<String> all = new ArrayList<>(early);
            all.addAll(rest);
            List<String> expected = new ArrayList<>(IntStream.range(0, 400).mapToObj(p.text::apply).toList());
            expected.set(6, "**** is masked");
            assertThat(texts(all)).containsExactlyElementsOf(expected);
            assertThat(statuses.get(statuses.size() - 1)).contains("\"status\":\"built\"");
        }
    }

    @Test
    void reconnectingWithLastEventId_atAnyPoint_yieldsTheRestOfTheLogExactlyOnce() throws Exception {
        TestService s = service("a", true);
        LoggingPipeline p = pipeline.get();
        p.lines = 1500;
        p.burst = 100;
        p.pauseMillis = 30;
        Deployment d = fx.pending(app);

        // A viewer whose connection drops twice during the build and resumes with Last-Event-ID.
        List<String> seen = new ArrayList<>();
        String lastId = null;
        for (int drop = 0; drop < 3; drop++) {
            try (SseClient sse = SseClient.open(streamUrl(s, d), session, lastId)) {
                int events = 0;
                for (SseClient.Event e = sse.next(60); e != null; e = sse.next(60)) {
                    if ("log".equals(e.name())) {
                        seen.addAll(e.data());
                        lastId = e.id();
                        if (drop < 2 && ++events == 3) {
                            break; // the connection drops here
                        }
                    }
                    if ("complete".equals(e.name())) {
                        break;
                    }
                }
            }
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> fx.reload(d).status() == DeploymentStatus.BUILT);
        try (SseClient rest = SseClient.open(streamUrl(s, d), session, lastId)) {
            seen.addAll(readToComplete(rest, new ArrayList<>()));
        }
        List<String> full = IntStream.range(0, 1500).mapToObj(i -> "line " + i).toList();
        assertThat(texts(seen)).containsExactlyElementsOf(full);

        // After the build, from several points (chunk edges and inside chunks): exactly the rest.
        for (int from : new int[] {0, 1, 99, 256, 257, 1000, 1499, 1500}) {
            try (SseClient sse = SseClient.open(streamUrl(s, d), session, Integer.toString(from))) {
                assertThat(texts(readToComplete(sse, new ArrayList<>()))).as("resume after line " + from)
                        .containsExactlyElementsOf(full.subList(from, 1500));
            }
            // A page that rendered the first lines opens the stream with ?after=N.
            try (SseClient sse = SseClient.open(streamUrl(s, d) + "?after=" + from, session, null)) {
                assertThat(texts(readToComplete(sse, new ArrayList<>()))).containsExactlyElementsOf(
                        full.subList(from, 1500));
            }
        }
    }

    /**
     * Past the head of the log cap, a viewer has the head and a notice live, then the marker and the
     * last lines when the build ends; a viewer resuming from any id, around the marker too, gets the
     * rest of the stored log exactly once.
     */
    @Test
    void pastTheLogCap_viewersGetHeadAndNoticeLive_thenMarkerAndTail_andAResumeFromAnyIdGetsTheRestOnce()
            throws Exception {
        TestService s = service("a", true, ConfigOverride.config("builder.logCapBytes", "20000"));
        LoggingPipeline p = pipeline.get();
        p.lines = 3000; // about 100 KB stored: five times the cap
        p.burst = 0;
        p.holdAfter = 1000; // past the head (about 290 of these lines)
        Deployment d = fx.pending(app);
        await().atMost(Duration.ofSeconds(30)).until(() -> p.holding.getCount() == 0);

        List<String> seen = new ArrayList<>();
        try (SseClient sse = SseClient.open(streamUrl(s, d), session, null)) {
            assertThat(sse.status()).isEqualTo(200);
            long lastId = -1;
            while (seen.isEmpty() || !seen.get(seen.size() - 1).contains("[the log passed")) {
                SseClient.Event e = sse.next(30);
                assertThat(e).as("the stream ended before the notice").isNotNull();
                if ("log".equals(e.name())) {
                    seen.addAll(e.data());
                    assertThat(Long.parseLong(e.id())).isGreaterThan(lastId);
                    lastId = Long.parseLong(e.id());
                }
            }
            List<String> live = texts(seen);
            assertThat(live.subList(0, live.size() - 1))
                    .containsExactlyElementsOf(IntStream.range(0, live.size() - 1).mapToObj(i -> "line " + i).toList());
            assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.BUILDING);

            p.release.countDown();
            List<String> statuses = new ArrayList<>();
            seen.addAll(readToComplete(sse, statuses));
            assertThat(statuses.get(statuses.size() - 1)).contains("\"status\":\"built\"");
        }
        List<String> stored = String.join("\n", jdbi.onDemand(LogChunkDao.class).contents(d.id())).lines().toList();
        assertThat(seen).as("the stream is the stored log, once").containsExactlyElementsOf(stored);
        List<String> all = texts(seen);
        int notice = IntStream.range(0, all.size()).filter(i -> all.get(i).startsWith("[the log passed"))
                .findFirst().orElseThrow();
        assertThat(all.get(notice + 1)).matches("\\[[\\d,]+ lines \\(.+\\) left out: the log passed its cap of "
                + "19\\.5 KiB; its last lines follow]");
        assertThat(all).endsWith("line 2998", "line 2999");

        for (int from : new int[] {notice - 1, notice, notice + 1, notice + 2, all.size() - 1}) {
            try (SseClient sse = SseClient.open(streamUrl(s, d), session, Integer.toString(from))) {
                assertThat(texts(readToComplete(sse, new ArrayList<>()))).as("resume after line " + from)
                        .containsExactlyElementsOf(all.subList(from, all.size()));
            }
        }
    }

    @Test
    void anotherTeamsViewer_gets404_andNobodyWithoutASession() throws Exception {
        TestService s = service("a", false);
        Deployment d = fx.pending(app);
        String stranger = signIn(fx.team("globex"), "mallory");
        try (SseClient sse = SseClient.open(streamUrl(s, d), stranger, null)) {
            assertThat(sse.status()).isEqualTo(404);
        }
        // The stranger's own app with this team's deployment id: still a 404, never its log.
        App theirs = fx.app(fx.team("initech"), "theirs");
        String insider = signIn(jdbi.onDemand(com.vangoframework.rhone.apps.TeamDao.class).findBySlug("initech")
                .orElseThrow(), "peter");
        try (SseClient sse = SseClient.open(s.url() + "/apps/" + theirs.slug() + "/deployments/" + d.id() + "/logs",
                insider, null)) {
            assertThat(sse.status()).isEqualTo(404);
        }
        try (SseClient sse = SseClient.open(streamUrl(s, d), null, null)) {
            assertThat(sse.status()).isEqualTo(401);
        }
        try (SseClient sse = SseClient.open(streamUrl(s, d), "x".repeat(43), null)) {
            assertThat(sse.status()).isEqualTo(401);
        }
        // An unknown deployment id in the viewer's own app is a 404 too.
        try (SseClient sse = SseClient.open(s.url() + "/apps/web/deployments/999999/logs", session, null)) {
            assertThat(sse.status()).isEqualTo(404);
        }
    }

    @Test
    void aViewerOnAnInstanceThatIsNotBuilding_seesEveryLine() throws Exception {
        service("builder", true);
        TestService viewerNode = service("viewer", false);
        LoggingPipeline p = pipeline.get();
        p.lines = 800;
        p.holdAfter = 10;
        Deployment d = fx.pending(app);
        await().atMost(Duration.ofSeconds(30)).until(() -> p.holding.getCount() == 0);
        try (SseClient sse = SseClient.open(streamUrl(viewerNode, d), session, null)) {
            assertThat(sse.status()).isEqualTo(200);
            p.release.countDown();
            List<String> statuses = new ArrayList<>();
            assertThat(texts(readToComplete(sse, statuses)))
                    .containsExactlyElementsOf(IntStream.range(0, 800).mapToObj(i -> "line " + i).toList());
            assertThat(statuses.get(statuses.size() - 1)).contains("\"status\":\"built\"");
        }
    }

    @Test
    void aLargeBurstAtTheVeryEnd_isAllSentBeforeComplete() throws Exception {
        service("builder", true);
        TestService viewerNode = service("viewer", false);
        LoggingPipeline p = pipeline.get();
        p.lines = 12_000; // about 47 chunks, all stored within moments of the finished status
        p.holdAfter = 5;
        p.burst = 0;
        Deployment d = fx.pending(app);
        await().atMost(Duration.ofSeconds(30)).until(() -> p.holding.getCount() == 0);
        try (SseClient sse = SseClient.open(streamUrl(viewerNode, d), session, null)) {
            assertThat(sse.status()).isEqualTo(200);
            p.release.countDown();
            assertThat(texts(readToComplete(sse, new ArrayList<>())))
                    .containsExactlyElementsOf(IntStream.range(0, 12_000).mapToObj(i -> "line " + i).toList());
        }
    }

    /** The next named event of a stream (comments skipped) matching {@code test}; fails after 30 s. */
    private static com.fasterxml.jackson.databind.JsonNode nextMatching(SseClient sse, String name,
            java.util.function.Predicate<com.fasterxml.jackson.databind.JsonNode> test) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            SseClient.Event e = sse.next(30);
            assertThat(e).as("the stream ended").isNotNull();
            if (name.equals(e.name())) {
                com.fasterxml.jackson.databind.JsonNode json = JSON.readTree(String.join("\n", e.data()));
                if (test.test(json)) {
                    return json;
                }
            }
        }
        throw new AssertionError("no matching " + name + " event within 30 s");
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @Test
    void theCommitAManualDeployLearns_reachesTheLogAndAppStreams_whileItIsStillCloning() throws Exception {
        TestService s = service("a", true);
        LoggingPipeline p = pipeline.get();
        String sha = "c0ffee" + "0".repeat(34);
        p.commit = List.of(sha, "Fix the build\n\nLonger text", "Ada Lovelace");
        p.beforeCommit = new java.util.concurrent.CountDownLatch(1);
        p.afterCommit = new java.util.concurrent.CountDownLatch(1);
        try (SseClient apps = SseClient.open(s.url() + "/events/apps/web", session, null)) {
            assertThat(apps.status()).isEqualTo(200);
            assertThat(apps.response().headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            Deployment d = new com.vangoframework.rhone.deployments.DeploymentService(jdbi).request(
                    com.vangoframework.rhone.deployments.NewDeployment.manual(app.id(), "main", null));
            // The new request shows up and is claimed, still without a commit (its events may be
            // coalesced into one when the claim is quick).
            nextMatching(apps, "deployment", j -> j.get("id").asLong() == d.id()
                    && j.get("status").asText().equals("cloning") && j.get("commitSha").isNull());
            try (SseClient logs = SseClient.open(streamUrl(s, d), session, null)) {
                nextMatching(logs, "status", j -> j.get("status").asText().equals("cloning")
                        && j.get("commit_sha").isNull());
                p.beforeCommit.countDown();
                com.fasterxml.jackson.databind.JsonNode status = nextMatching(logs, "status",
                        j -> sha.equals(j.get("commit_sha").asText(null)));
                assertThat(status.get("status").asText()).isEqualTo("cloning");
                assertThat(status.get("commit_message").asText()).isEqualTo("Fix the build");
                assertThat(status.get("commit_author").asText()).isEqualTo("Ada Lovelace");
                com.fasterxml.jackson.databind.JsonNode row = nextMatching(apps, "deployment",
                        j -> sha.equals(j.get("commitSha").asText(null)));
                assertThat(row.get("status").asText()).isEqualTo("cloning");
                assertThat(row.get("shortSha").asText()).isEqualTo(sha.substring(0, 12));
                assertThat(row.get("commitMessage").asText()).isEqualTo("Fix the build");
                assertThat(fx.reload(d).status()).isEqualTo(DeploymentStatus.CLONING);
                p.afterCommit.countDown();
                nextMatching(apps, "deployment", j -> j.get("status").asText().equals("built"));
            }
        }
    }

    @Test
    void logAndAppStreams_shareOneCapPerNode_andPastItAreToldToComeBack() throws Exception {
        TestService s = TestService.withPipelineFrom(db, dir.resolve("capped"), parts -> new LoggingPipeline(parts.logs()),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.heartbeat", "300ms"),
                ConfigOverride.config("dashboard.maxStreams", "1")).start();
        services.add(s);
        Deployment d = fx.pending(app);
        try (SseClient first = SseClient.open(s.url() + "/events/apps", session, null)) {
            assertThat(first.status()).isEqualTo(200);
            try (SseClient log = SseClient.open(streamUrl(s, d), session, null);
                 SseClient page = SseClient.open(s.url() + "/events/apps/web", session, null)) {
                for (SseClient refused : List.of(log, page)) {
                    assertThat(refused.status()).isEqualTo(503);
                    assertThat(refused.response().headers().firstValue("Retry-After")).hasValue("5");
                }
            }
        }
        // The slot comes back once the viewer has gone (noticed at the next heartbeat).
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (SseClient again = SseClient.open(streamUrl(s, d), session, null)) {
                return again.status() == 200;
            }
        });
    }
}
