package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The browser hardening headers (Content-Security-Policy, X-Content-Type-Options,
 * Referrer-Policy) over HTTP against a running service, on every kind of answer the application
 * port gives; every page free of what the policy forbids ({@link TemplatesTest} checks the
 * templates themselves).
 */
class SecurityHeadersTest {


    @TempDir
    Path dir;

    private Jdbi jdbi;
    private Fixtures fx;
    private Team acme;
    private App web;
    private TestService service;
    private DashboardClient dashboard;

    @BeforeEach
    void setUp() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        acme = fx.team("acme");
        web = fx.app(acme, "web");
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.deploysPerMinute", "1"),
                ConfigOverride.config("dashboard.heartbeat", "300ms"),
                // Sign-in with GitHub on, for its redirect; nothing ever calls this address.
                ConfigOverride.config("dashboard.oauthClientId", "Iv1.client"),
                ConfigOverride.config("dashboard.oauthClientSecret", "oauth-secret"),
                ConfigOverride.config("builder.gitHubUrl", "http://127.0.0.1:9"),
                ConfigOverride.config("github.apiUrl", "http://127.0.0.1:9")).start();
        dashboard = new DashboardClient(service.url(), jdbi);
    }

    @AfterEach
    void tearDown() {
        service.stop();
    }

    private String session(Team team, String login) {
        return dashboard.session(team, login);
    }

    private HttpResponse<String> get(String path, String session) throws Exception {
        return dashboard.get(path, session);
    }

    private HttpResponse<String> post(String path, String session, String form) throws Exception {
        return dashboard.post(path, session, form);
    }

    private static void hasTheHeaders(SoftAssertions softly, String what, HttpHeaders headers) {
        softly.assertThat(headers.allValues("Content-Security-Policy")).as(what + ": Content-Security-Policy")
                .containsExactly("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                        + "object-src 'none'");
        softly.assertThat(headers.allValues("X-Content-Type-Options")).as(what + ": X-Content-Type-Options")
                .containsExactly("nosniff");
        softly.assertThat(headers.allValues("Referrer-Policy")).as(what + ": Referrer-Policy")
                .containsExactly("same-origin");
    }

    /** An HTML page: the status it should have, the headers, and nothing the policy would block. */
    private static void isAHardenedPage(SoftAssertions softly, String what, HttpResponse<String> page, int status) {
        softly.assertThat(page.statusCode()).as(what + ": status").isEqualTo(status);
        softly.assertThat(page.headers().firstValue("Content-Type")).as(what + ": Content-Type")
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        hasTheHeaders(softly, what, page.headers());
        TemplatesTest.INLINE.forEach((name, pattern) -> softly.assertThat(pattern.matcher(page.body()).find())
                .as(what + " has " + name).isFalse());
    }

    @Test
    void everyPage_errorPage_redirect_asset_stream_andDownload_carriesTheHardeningHeaders() throws Exception {
        String cookie = session(acme, "octocat");
        Deployment d = fx.pending(web);
        String deployment = "/apps/web/deployments/" + d.id();
        SoftAssertions softly = new SoftAssertions();

        isAHardenedPage(softly, "the sign-in page", get("/login", null), 200);
        isAHardenedPage(softly, "the login link page", get("/login/link", null), 200);
        isAHardenedPage(softly, "the app list", get("/apps", cookie), 200);
        HttpResponse<String> appPage = get("/apps/web", cookie);
        isAHardenedPage(softly, "the app page", appPage, 200);
        isAHardenedPage(softly, "the deployment page", get(deployment, cookie), 200);
        String csrf = DashboardClient.csrfOf(appPage);

        isAHardenedPage(softly, "404, another team's or no app", get("/apps/no-such-app", cookie), 404);
        isAHardenedPage(softly, "403, a form without its CSRF token", post("/apps/web/deploy", cookie, ""), 403);
        isAHardenedPage(softly, "422, a malformed query parameter", get("/apps/web?before=abc", cookie), 422);
        softly.assertThat(post(deployment + "/cancel", cookie, "csrf=" + csrf).statusCode()).isEqualTo(303);
        isAHardenedPage(softly, "409, a deployment cancelled twice", post(deployment + "/cancel", cookie,
                "csrf=" + csrf), 409);
        softly.assertThat(post("/apps/web/deploy", cookie, "csrf=" + csrf).statusCode()).isEqualTo(303);
        isAHardenedPage(softly, "429, over the deploy limit", post("/apps/web/deploy", cookie, "csrf=" + csrf),
                429);

        HttpResponse<String> signIn = get("/apps", null);
        softly.assertThat(signIn.statusCode()).as("the sign-in redirect").isEqualTo(303);
        hasTheHeaders(softly, "the sign-in redirect", signIn.headers());
        HttpResponse<String> toGitHub = get("/login/github", null);
        softly.assertThat(toGitHub.statusCode()).as("the redirect to GitHub").isEqualTo(303);
        hasTheHeaders(softly, "the redirect to GitHub", toGitHub.headers());
        HttpResponse<String> unknown = get("/no-such-page", null);
        softly.assertThat(unknown.statusCode()).as("a path nobody serves").isEqualTo(404);
        hasTheHeaders(softly, "a path nobody serves", unknown.headers());

        for (String asset : List.of("rhone.js", "login-link.js", "live-apps.js", "deployment.js", "rhone.css")) {
            HttpResponse<String> file = get("/assets/" + asset, null);
            softly.assertThat(file.statusCode()).as(asset).isEqualTo(200);
            hasTheHeaders(softly, "/assets/" + asset, file.headers());
        }
        HttpResponse<String> download = get(deployment + "/log.txt", cookie);
        softly.assertThat(download.statusCode()).as("the log download").isEqualTo(200);
        hasTheHeaders(softly, "the log download", download.headers());
        HttpResponse<String> api = get("/api/apps/web/deployments", null);
        softly.assertThat(api.statusCode()).as("the API without a token").isEqualTo(401);
        hasTheHeaders(softly, "the API", api.headers());

        // The streams commit their headers before the first event: a live build's log and an app's page.
        Deployment live = fx.pending(fx.app(acme, "api"));
        try (SseClient log = SseClient.open(service.url() + "/apps/api/deployments/" + live.id() + "/logs", cookie,
                null);
             SseClient apps = SseClient.open(service.url() + "/events/apps/web", cookie, null)) {
            softly.assertThat(log.status()).as("the log stream").isEqualTo(200);
            hasTheHeaders(softly, "the log stream", log.response().headers());
            softly.assertThat(apps.status()).as("the app stream").isEqualTo(200);
            hasTheHeaders(softly, "the app stream", apps.response().headers());
        }
        softly.assertAll();
    }
}
