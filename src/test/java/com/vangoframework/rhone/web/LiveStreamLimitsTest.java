package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.SseClient;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live streams' caps per session and per team, and the end of a stream that follows a
 * deployment waiting to start, against the running service: what a page's EventSource gets.
 * No node builds here, so deployments stay pending. Each test has teams of its own.
 */
class LiveStreamLimitsTest {

    private static final int PER_SESSION = 2;
    private static final int PER_TEAM = 3;

    @TempDir
    static Path dir;
    private static TestService service;
    private static Jdbi jdbi;
    private static Fixtures fx;
    private static DashboardClient dashboard;
    private final List<SseClient> open = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.heartbeat", "300ms"),
                ConfigOverride.config("dashboard.maxStreamsPerSession", String.valueOf(PER_SESSION)),
                ConfigOverride.config("dashboard.maxStreamsPerTeam", String.valueOf(PER_TEAM)),
                ConfigOverride.config("dashboard.waitingStreamIdle", "1s"),
                ConfigOverride.config("dashboard.waitingStreamRetry", "45s")).start();
        dashboard = new DashboardClient(service.url(), jdbi);
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    @AfterEach
    void closeStreams() {
        open.forEach(SseClient::close);
    }

    private SseClient stream(String path, String session) throws Exception {
        SseClient sse = SseClient.open(service.url() + path, session, null);
        open.add(sse);
        return sse;
    }

    private static String logs(App app, Deployment d) {
        return "/apps/" + app.slug() + "/deployments/" + d.id() + "/logs";
    }

    private static String body(SseClient refused) throws IOException {
        try (InputStream in = refused.response().body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private static void assertRefused(SseClient sse, String sentence) throws IOException {
        assertThat(sse.status()).isEqualTo(429);
        assertThat(sse.response().headers().firstValue("Retry-After")).hasValue("30");
        assertThat(body(sse)).isEqualTo(sentence);
    }

    @Test
    void oneSessionPastItsCap_is429_whileAnotherSessionStreams_andAClosedStreamGivesItsSlotBack() throws Exception {
        Team team = fx.team("cap-session");
        App app = fx.app(team, "cap-session-web");
        Deployment d = fx.pending(app);
        String session = dashboard.session(team, "cap-session-a");
        SseClient log = stream(logs(app, d), session);
        SseClient page = stream("/events/apps/" + app.slug(), session);
        assertThat(List.of(log.status(), page.status())).containsOnly(200);

        assertRefused(stream("/events/apps", session), "this session already has " + PER_SESSION
                + " live pages and logs open on this node; close some tabs");
        assertRefused(stream(logs(app, d), session), "this session already has " + PER_SESSION
                + " live pages and logs open on this node; close some tabs");
        assertThat(stream("/events/apps", dashboard.session(team, "cap-session-b")).status()).isEqualTo(200);

        // The viewer leaves one page; the server notices at its next heartbeat and the slot is free.
        page.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> stream("/events/apps", session).status() == 200);
    }

    @Test
    void oneTeamPastItsCap_is429NamingIt_whileAnotherTeamStreams() throws Exception {
        Team red = fx.team("cap-red");
        Team blue = fx.team("cap-blue");
        App redApp = fx.app(red, "cap-red-web");
        for (int i = 0; i < PER_TEAM; i++) {
            assertThat(stream("/events/apps/" + redApp.slug(), dashboard.session(red, "cap-red-" + i)).status())
                    .isEqualTo(200);
        }
        String sentence = "team cap-red already has " + PER_TEAM
                + " live pages and logs open on this node; try again when some are closed";
        assertRefused(stream("/events/apps", dashboard.session(red, "cap-red-late")), sentence);
        // A person of both teams: the list of every app shows red's too, so it counts against red.
        String both = dashboard.session(blue, "cap-both");
        dashboard.user(red, "cap-both");
        assertRefused(stream("/events/apps", both), sentence);
        // Blue's own app page shows only blue's data.
        App blueApp = fx.app(blue, "cap-blue-web");
        assertThat(stream("/events/apps/" + blueApp.slug(), both).status()).isEqualTo(200);
    }

    @Test
    void aDeploymentWaitingPastTheIdleLimit_endsItsStreamWithARetryHint_forPendingAndAwaitingApproval()
            throws Exception {
        Team team = fx.team("idle");
        App app = fx.app(team, "idle-web");
        String session = dashboard.session(team, "idle-person");
        for (Deployment waiting : List.of(fx.pending(app), fx.awaitingFork(app, 12))) {
            SseClient sse = stream(logs(app, waiting), session);
            assertThat(sse.status()).isEqualTo(200);
            SseClient.Event first = sse.next(10);
            assertThat(first.name()).isEqualTo("status");
            // Heartbeats come every 300 ms; the stream must end well before a hundred of them.
            SseClient.Event e = first;
            for (int seen = 0; e != null; seen++) {
                assertThat(seen).as("the stream of a waiting deployment ends").isLessThan(100);
                assertThat(e.isComment() || "status".equals(e.name())).as("only status and heartbeats: %s", e).isTrue();
                e = sse.next(30);
            }
            assertThat(sse.retryMillis()).as("the browser is told to come back in 45 s").isEqualTo(45_000);
        }
    }
}
