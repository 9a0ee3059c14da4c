package com.vangoframework.rhone.web;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.SseClient;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard over HTTP against a running service: sign-in, team scoping, forms, CSRF, limits,
 * the live app streams and the log download.
 */
class DashboardTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final WireMockServer github = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;
    private Team acme;
    private App web;
    private TestService service;

    @BeforeEach
    void setUp() throws Exception {
        github.start();
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        acme = fx.team("acme");
        web = fx.app(acme, "web");
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.deploysPerMinute", "3"),
                ConfigOverride.config("dashboard.heartbeat", "300ms"),
                ConfigOverride.config("dashboard.oauthClientId", "Iv1.client"),
                ConfigOverride.config("dashboard.oauthClientSecret", "oauth-secret"),
                ConfigOverride.config("builder.gitHubUrl", github.baseUrl()),
                ConfigOverride.config("github.apiUrl", github.baseUrl())).start();
    }

    @AfterEach
    void tearDown() {
        service.stop();
        github.stop();
    }

    private long user(Team team, String login) {
        return jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser(login);
            if (team != null) {
                dao.addMember(team.id(), u.id());
            }
            return u.id();
        });
    }

    private String session(Team team, String login) {
        return new Sessions(jdbi, Clock.systemUTC()).create(user(team, login));
    }

    private HttpResponse<String> get(String path, String session) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(service.url() + path));
        if (session != null) {
            r.header("Cookie", "rhone_session=" + session);
        }
        return HTTP.send(r.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String session, String form) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(service.url() + path))
                .header("Content-Type", "application/x-www-form-urlencoded");
        if (session != null) {
            r.header("Cookie", "rhone_session=" + session);
        }
        return HTTP.send(r.POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Where a redirect points, as path and query (JAX-RS makes Location absolute). */
    private static String location(HttpResponse<String> response) {
        URI uri = URI.create(response.headers().firstValue("Location").orElseThrow());
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    private static String csrfOf(HttpResponse<String> page) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page.body());
        assertThat(m.find()).as("the page has a form with a CSRF token").isTrue();
        return m.group(1);
    }

    private static String sessionCookie(HttpResponse<String> response) {
        String header = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("rhone_session=")).findFirst().orElseThrow();
        assertThat(header).contains("HttpOnly").containsIgnoringCase("SameSite=Lax");
        return header.substring("rhone_session=".length(), header.indexOf(';'));
    }

    @Test
    void aLoginLink_signsInOnce_andAnExpiredOrReusedLinkIsRefused() throws Exception {
        long octocat = user(acme, "octocat");
        Sessions sessions = new Sessions(jdbi, Clock.systemUTC());
        String token = sessions.createLoginLink(octocat);

        // Opening the link only shows a button: a preview fetch signs nobody in.
        HttpResponse<String> page = get("/login/link", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().allValues("Set-Cookie")).isEmpty();
        // A browser that says the form came from another site is refused, and the link stays unused.
        HttpResponse<String> crossSite = HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/login/link"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Sec-Fetch-Site", "cross-site")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(crossSite.headers().allValues("Set-Cookie")).isEmpty();
        HttpResponse<String> signedIn = post("/login/link", null, "token=" + token);
        assertThat(signedIn.statusCode()).isEqualTo(303);
        assertThat(location(signedIn)).isEqualTo("/apps");
        String cookie = sessionCookie(signedIn);
        assertThat(get("/apps", cookie).body()).contains("octocat").contains("href=\"/apps/web\"");

        HttpResponse<String> reused = post("/login/link", null, "token=" + token);
        assertThat(reused.statusCode()).isEqualTo(400);
        assertThat(reused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("rhone_session=") && c.length() > 20
                && !c.startsWith("rhone_session=;"));

        String expired = Sessions.random();
        jdbi.useExtension(SessionDao.class, dao -> dao.insertLoginLink(com.vangoframework.rhone.apps.ApiTokens.sha256(
                expired), octocat, Instant.now().minusSeconds(1)));
        assertThat(post("/login/link", null, "token=" + expired).statusCode()).isEqualTo(400);
        assertThat(post("/login/link", null, "token=garbage").statusCode()).isEqualTo(400);
    }

    @Test
    void signOut_needsTheCsrfToken_andEndsTheSession() throws Exception {
        String cookie = session(acme, "octocat");
        String csrf = csrfOf(get("/apps", cookie));
        assertThat(post("/logout", cookie, "csrf=wrong").statusCode()).isEqualTo(403);
        assertThat(get("/apps", cookie).statusCode()).isEqualTo(200);
        HttpResponse<String> out = post("/logout", cookie, "csrf=" + csrf);
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(get("/apps", cookie).statusCode()).isEqualTo(303);
    }

    @Test
    void githubSignIn_matchesTheUserByGithubId_andABadStateIsRefused() throws Exception {
        long octocat = user(acme, "octocat");
        // The id add-member asked GitHub for (GitHubSignInTest covers how it gets there).
        jdbi.useHandle(h -> h.execute("UPDATE users SET github_id = 583231 WHERE id = ?", octocat));
        HttpResponse<String> start = get("/login/github?next=/apps/web", null);
        assertThat(start.statusCode()).isEqualTo(303);
        String location = start.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(github.baseUrl() + "/login/oauth/authorize?client_id=Iv1.client");
        String state = URI.create(location).getQuery().replaceAll(".*state=([^&]+).*", "$1");
        String stateCookie = start.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("rhone_oauth_state=")).findFirst().orElseThrow();
        assertThat(stateCookie).contains("HttpOnly");
        String cookieValue = stateCookie.substring("rhone_oauth_state=".length(), stateCookie.indexOf(';'));

        github.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/login/oauth/access_token")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"access_token\":\"gho_user_token\"}")));
        github.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/user")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"id\":583231,\"login\":\"octocat\",\"name\":\"The Octocat\"}")));

        // A callback whose state is not the one this browser was given is refused, before any call to GitHub.
        HttpResponse<String> forged = HTTP.send(HttpRequest.newBuilder(URI.create(service.url()
                        + "/login/github/callback?code=abc&state=forged"))
                .header("Cookie", "rhone_oauth_state=" + cookieValue).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(400);
        assertThat(get("/login/github/callback?code=abc&state=" + state, null).statusCode()).as("no state cookie")
                .isEqualTo(400);
        assertThat(github.getAllServeEvents()).isEmpty();

        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(service.url()
                        + "/login/github/callback?code=abc&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8)))
                .header("Cookie", "rhone_oauth_state=" + cookieValue).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(303);
        assertThat(location(ok)).as("back to the page that asked for a sign-in").isEqualTo("/apps/web");
        String cookie = sessionCookie(ok);
        assertThat(get("/apps", cookie).body()).contains("octocat");
        java.util.Optional<SessionDao.User> linked = jdbi.withExtension(SessionDao.class,
                dao -> dao.userByGithubId(583231));
        assertThat(linked.map(SessionDao.User::login)).hasValue("octocat");

        // Later the person renames their GitHub account: they are still found, by GitHub id.
        github.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/user")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":583231,\"login\":\"octocat-renamed\"}")));
        HttpResponse<String> again = get("/login/github", null);
        String state2 = URI.create(again.headers().firstValue("Location").orElseThrow()).getQuery()
                .replaceAll(".*state=([^&]+).*", "$1");
        String cookie2 = again.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("rhone_oauth_state=")).findFirst().orElseThrow();
        HttpResponse<String> renamed = HTTP.send(HttpRequest.newBuilder(URI.create(service.url()
                        + "/login/github/callback?code=def&state=" + URLEncoder.encode(state2, StandardCharsets.UTF_8)))
                .header("Cookie", cookie2.substring(0, cookie2.indexOf(';'))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(renamed.statusCode()).as(renamed.body()).isEqualTo(303);
        assertThat(get("/apps", sessionCookie(renamed)).body()).contains("octocat").contains("/apps/web");
        assertThat(fx.count("users")).isEqualTo(1);

        // Someone whose GitHub account no team here knows gets a clear refusal and no session.
        github.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/user")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody("{\"id\":999,\"login\":\"stranger\"}")));
        HttpResponse<String> third = get("/login/github", null);
        String state3 = URI.create(third.headers().firstValue("Location").orElseThrow()).getQuery()
                .replaceAll(".*state=([^&]+).*", "$1");
        String cookie3 = third.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("rhone_oauth_state=")).findFirst().orElseThrow();
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(service.url()
                        + "/login/github/callback?code=ghi&state=" + URLEncoder.encode(state3, StandardCharsets.UTF_8)))
                .header("Cookie", cookie3.substring(0, cookie3.indexOf(';'))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("add-member");
        assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("rhone_session=")
                && !c.startsWith("rhone_session=;"));
    }

    @Test
    void theSignInPage_linksToGitHub_withTheReturnPathUrlEncoded() throws Exception {
        HttpResponse<String> page = get("/login?next=" + URLEncoder.encode("/apps/web?before=9", StandardCharsets.UTF_8),
                null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("href=\"/login/github?next=%2Fapps%2Fweb%3Fbefore%3D9\"")
                .doesNotContain("FreeMarker");
    }

    @Test
    void pagesNeedASession_andAnotherTeamsAppsAndDeploymentsAre404() throws Exception {
        App foreign = fx.app(fx.team("globex"), "secret-app");
        Deployment foreignDeployment = fx.pending(foreign);
        Deployment mine = fx.pending(web);
        String cookie = session(acme, "octocat");

        HttpResponse<String> anonymous = get("/apps", null);
        assertThat(anonymous.statusCode()).isEqualTo(303);
        assertThat(location(anonymous)).isEqualTo("/login?next=%2Fapps");

        HttpResponse<String> apps = get("/apps", cookie);
        assertThat(apps.body()).contains("/apps/web").doesNotContain("secret-app");
        assertThat(get("/apps/secret-app", cookie).statusCode()).isEqualTo(404);
        assertThat(get("/apps/secret-app/deployments/" + foreignDeployment.id(), cookie).statusCode()).isEqualTo(404);
        // Another team's deployment id under one's own app is a 404 as well, never its page.
        assertThat(get("/apps/web/deployments/" + foreignDeployment.id(), cookie).statusCode()).isEqualTo(404);
        assertThat(get("/apps/web/deployments/" + foreignDeployment.id() + "/lines?before=10", cookie).statusCode())
                .isEqualTo(404);
        assertThat(post("/apps/secret-app/deploy", cookie, "csrf=" + csrfOf(apps)).statusCode()).isEqualTo(404);
        for (String action : new String[] {"cancel", "retry"}) {
            assertThat(post("/apps/web/deployments/" + foreignDeployment.id() + "/" + action, cookie,
                    "csrf=" + csrfOf(apps)).statusCode()).as(action).isEqualTo(404);
            assertThat(post("/apps/secret-app/deployments/" + foreignDeployment.id() + "/" + action, cookie,
                    "csrf=" + csrfOf(apps)).statusCode()).as(action).isEqualTo(404);
        }
        assertThat(fx.reload(foreignDeployment).status().dbValue()).isEqualTo("pending");
        HttpResponse<String> page = get("/apps/web/deployments/" + mine.id(), cookie);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    }

    @Test
    void deploy_needsTheCsrfToken_isLimitedPerApp_andLandsOnTheNewDeployment() throws Exception {
        String cookie = session(acme, "octocat");
        HttpResponse<String> appPage = get("/apps/web", cookie);
        String csrf = csrfOf(appPage);

        HttpResponse<String> noToken = post("/apps/web/deploy", cookie, "commit_sha=");
        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(post("/apps/web/deploy", cookie, "csrf=" + "A".repeat(43)).statusCode()).isEqualTo(403);
        assertThat(fx.count("deployments")).isZero();

        HttpResponse<String> badSha = post("/apps/web/deploy", cookie, "csrf=" + csrf + "&commit_sha=nothex");
        assertThat(badSha.statusCode()).isEqualTo(422);
        assertThat(fx.count("deployments")).isZero();

        HttpResponse<String> deployed = post("/apps/web/deploy", cookie, "csrf=" + csrf + "&commit_sha=");
        assertThat(deployed.statusCode()).isEqualTo(303);
        long id = jdbi.withHandle(h -> h.select("SELECT max(id) FROM deployments").mapTo(Long.class).one());
        assertThat(location(deployed)).isEqualTo("/apps/web/deployments/" + id);
        assertThat(jdbi.onDemand(DeploymentDao.class).findById(id).orElseThrow().trigger())
                .isEqualTo(DeploymentTrigger.MANUAL);

        // Three a minute in this test's configuration (the badSha press counted, the CSRF-less ones did not).
        assertThat(post("/apps/web/deploy", cookie, "csrf=" + csrf).statusCode()).isEqualTo(303);
        HttpResponse<String> limited = post("/apps/web/deploy", cookie, "csrf=" + csrf);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.body()).contains("Try again in");
        // Retry draws on the same allowance of the app.
        HttpResponse<String> retryLimited = post("/apps/web/deployments/" + id + "/retry", cookie, "csrf=" + csrf);
        assertThat(retryLimited.statusCode()).isEqualTo(429);
        assertThat(retryLimited.headers().firstValue("Retry-After")).isPresent();
        assertThat(fx.count("deployments")).isEqualTo(2);
    }

    @Test
    void pagesEscapeWhatPeopleWrote_andALongLogShowsOnlyItsTail() throws Exception {
        Deployment d = jdbi.inTransaction(h -> DeploymentService.insert(h, new NewDeployment(web.id(),
                DeploymentTrigger.PUSH, "main", "a".repeat(40), "<script>alert('x')</script> & more", "<b>eve</b>",
                null, null)));
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
        try (BuildLog log = logs.open(d.id(), s -> s)) {
            for (int i = 0; i < 3000; i++) {
                log.line(i == 2999 ? "<img src=x onerror=alert(1)>" : "line " + i);
            }
        }
        String cookie = session(acme, "octocat");
        String appPage = get("/apps/web", cookie).body();
        assertThat(appPage).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more")
                .doesNotContain("<script>alert").doesNotContain("<b>eve</b>");
        String page = get("/apps/web/deployments/" + d.id(), cookie).body();
        assertThat(page).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img src=x");
        assertThat(Pattern.compile("<div class=\"line\">").matcher(page).results().count()).isEqualTo(1000);
        assertThat(page).contains("data-first=\"2000\"").contains("data-end=\"3000\"").contains(" line 2000</div>")
                .doesNotContain(" line 1999</div>");

        HttpResponse<String> earlier = get("/apps/web/deployments/" + d.id() + "/lines?before=2000", cookie);
        assertThat(earlier.statusCode()).isEqualTo(200);
        assertThat(earlier.body()).startsWith("{\"first\":1000,\"lines\":[").contains(" line 1000\"")
                .contains(" line 1999\"").doesNotContain(" line 999\"").doesNotContain(" line 2000\"");
    }

    @Test
    void approvingAForksPullRequest_isAFormWithCsrf_forTheAppsTeamOnly_andRecordsWhoApproved() throws Exception {
        Deployment fork = fx.awaitingFork(web, 9);
        String cookie = session(acme, "octocat");
        String path = "/apps/web/deployments/" + fork.id();
        HttpResponse<String> page = get(path, cookie);
        assertThat(page.body()).contains("the fork <span class=\"mono\">stranger/web</span>")
                .contains("Approve and build").contains("Awaiting approval");
        String csrf = csrfOf(page);

        assertThat(post(path + "/approve", cookie, "csrf=" + "A".repeat(43)).statusCode()).isEqualTo(403);
        String outsider = session(fx.team("globex"), "mallory");
        assertThat(post(path + "/approve", outsider, "csrf=" + csrfOf(get("/apps", outsider))).statusCode())
                .isEqualTo(404);
        assertThat(fx.reload(fork).status()).isEqualTo(DeploymentStatus.AWAITING_APPROVAL);

        HttpResponse<String> approved = post(path + "/approve", cookie, "csrf=" + csrf);
        assertThat(approved.statusCode()).isEqualTo(303);
        assertThat(location(approved)).isEqualTo(path);
        Deployment after = fx.reload(fork);
        assertThat(after.status()).isEqualTo(DeploymentStatus.PENDING);
        assertThat(after.approvedBy()).isEqualTo("rhone:octocat");
        assertThat(get(path, cookie).body()).contains("Approved by <span id=\"approved-by\" class=\"mono\">"
                + "rhone:octocat</span>").containsPattern("id=\"approve\"[^>]*hidden");
        assertThat(post(path + "/approve", cookie, "csrf=" + csrf).statusCode()).isEqualTo(409);
    }

    @Test
    void cancelAndRetry_areFormsWithCsrf_andAnswerWithTheDeploymentPage() throws Exception {
        String cookie = session(acme, "octocat");
        Deployment d = fx.pending(web);
        String page = get("/apps/web/deployments/" + d.id(), cookie).body();
        String csrf = csrfOf(get("/apps/web/deployments/" + d.id(), cookie));
        assertThat(page).contains("id=\"cancel\"");
        assertThat(post("/apps/web/deployments/" + d.id() + "/cancel", cookie, "").statusCode()).isEqualTo(403);
        assertThat(fx.reload(d).status().dbValue()).isEqualTo("pending");
        HttpResponse<String> cancelled = post("/apps/web/deployments/" + d.id() + "/cancel", cookie, "csrf=" + csrf);
        assertThat(cancelled.statusCode()).isEqualTo(303);
        assertThat(fx.reload(d).status().dbValue()).isEqualTo("cancelled");

        assertThat(post("/apps/web/deployments/" + d.id() + "/retry", cookie, "csrf=bad").statusCode()).isEqualTo(403);
        HttpResponse<String> retried = post("/apps/web/deployments/" + d.id() + "/retry", cookie, "csrf=" + csrf);
        assertThat(retried.statusCode()).isEqualTo(303);
        long retryId = jdbi.withHandle(h -> h.select("SELECT id FROM deployments WHERE retry_of = ?", d.id())
                .mapTo(Long.class).one());
        assertThat(location(retried)).isEqualTo("/apps/web/deployments/" + retryId);
    }

    @Test
    void aFormWithoutASession_isA403_aConflict_isA409PageNamingTheAction_andALogLinkSignsInBackToItsPage()
            throws Exception {
        Deployment d = fx.pending(web);
        String path = "/apps/web/deployments/" + d.id();
        HttpResponse<String> signedOut = post(path + "/cancel", null, "csrf=" + "A".repeat(43));
        assertThat(signedOut.statusCode()).isEqualTo(403);
        assertThat(signedOut.body()).contains("Your session has ended");
        assertThat(fx.reload(d).status().dbValue()).isEqualTo("pending");

        String cookie = session(acme, "octocat");
        String csrf = csrfOf(get(path, cookie));
        assertThat(post(path + "/cancel", cookie, "csrf=" + csrf).statusCode()).isEqualTo(303);
        HttpResponse<String> again = post(path + "/cancel", cookie, "csrf=" + csrf);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(again.body()).contains("<h1>Cannot cancel</h1>").contains("already finished as cancelled")
                .contains("<span>octocat</span>");

        String back = "/login?next=" + URLEncoder.encode(path, StandardCharsets.UTF_8);
        assertThat(location(get(path + "/log.txt", null))).isEqualTo(back);
        assertThat(location(get(path + "/lines?before=10", null))).isEqualTo(back);
        assertThat(location(get(path, null))).isEqualTo(back);
    }

    private String url(String path) {
        return service.url() + path;
    }

    /** The next {@code deployment} event's JSON (heartbeats skipped); fails after 20 s. */
    private static com.fasterxml.jackson.databind.JsonNode nextDeployment(SseClient sse) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            SseClient.Event e = sse.next(20);
            assertThat(e).as("the stream ended").isNotNull();
            if ("deployment".equals(e.name())) {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(String.join("\n", e.data()));
            }
        }
        throw new AssertionError("no deployment event within 20 s");
    }

    /** Every deployment id a stream sends within {@code millis} (heartbeats every 300 ms keep it moving). */
    private static java.util.List<Long> deploymentIdsWithin(SseClient sse, long millis) throws Exception {
        java.util.List<Long> ids = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            SseClient.Event e = sse.next(5);
            if (e != null && "deployment".equals(e.name())) {
                ids.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(e.data().get(0)).get("id").asLong());
            }
        }
        return ids;
    }

    @Test
    void appStreams_needASession_sendOnlyTheViewersTeams_andAnotherTeamsAppIs404() throws Exception {
        App foreign = fx.app(fx.team("globex"), "secret-app");
        String cookie = session(acme, "octocat");
        try (SseClient anonymous = SseClient.open(url("/events/apps"), null, null);
             SseClient forged = SseClient.open(url("/events/apps"), "A".repeat(43), null);
             SseClient theirs = SseClient.open(url("/events/apps/secret-app"), cookie, null);
             SseClient missing = SseClient.open(url("/events/apps/no-such-app"), cookie, null)) {
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(forged.status()).isEqualTo(401);
            assertThat(theirs.status()).isEqualTo(404);
            assertThat(missing.status()).isEqualTo(404);
        }

        long renderedAt = System.currentTimeMillis();
        DeploymentService requests = new DeploymentService(jdbi);
        Deployment theirs;
        Deployment mine;
        try (SseClient all = SseClient.open(url("/events/apps"), cookie, null);
             SseClient one = SseClient.open(url("/events/apps/web"), cookie, null)) {
            assertThat(all.status()).isEqualTo(200);
            assertThat(all.response().headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            assertThat(one.status()).isEqualTo(200);
            // Announced in this order: had the foreign one been sent, it would come first.
            theirs = requests.request(NewDeployment.manual(foreign.id(), "main", null));
            mine = requests.request(NewDeployment.manual(web.id(), "main", null));
            for (SseClient stream : java.util.List.of(all, one)) {
                com.fasterxml.jackson.databind.JsonNode first = nextDeployment(stream);
                assertThat(first.get("id").asLong()).isEqualTo(mine.id());
                assertThat(first.get("app").asText()).isEqualTo("web");
                assertThat(first.get("status").asText()).isEqualTo("pending");
                assertThat(first.get("createdIso").asText()).isNotEmpty();
            }
            jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'cancelled', updated_at = now() WHERE id = ?",
                    theirs.id()));
            assertThat(deploymentIdsWithin(all, 1500)).doesNotContain(theirs.id());
        }

        // A page rendered before both requests catches up on connect: its teams' rows only.
        try (SseClient late = SseClient.open(url("/events/apps?since=" + renderedAt), cookie, null);
             SseClient resumed = SseClient.open(url("/events/apps"), cookie, Long.toString(renderedAt))) {
            for (SseClient stream : java.util.List.of(late, resumed)) {
                assertThat(nextDeployment(stream).get("id").asLong()).isEqualTo(mine.id());
                assertThat(deploymentIdsWithin(stream, 1000)).doesNotContain(theirs.id());
            }
        }
    }

    @Test
    void anAppStream_endsWhenItsSessionEnds_andCannotBeReopened() throws Exception {
        String cookie = session(acme, "octocat");
        try (SseClient sse = SseClient.open(url("/events/apps/web"), cookie, null)) {
            assertThat(sse.status()).isEqualTo(200);
            new Sessions(jdbi, Clock.systemUTC()).end(cookie);
            SseClient.Event e;
            do {
                e = sse.next(10);
            } while (e != null);
        }
        try (SseClient again = SseClient.open(url("/events/apps/web"), cookie, null)) {
            assertThat(again.status()).isEqualTo(401);
        }
    }

    @Test
    void aMalformedQueryParameterOnAPage_isA422PageNamingIt() throws Exception {
        HttpResponse<String> r = get("/apps/web?before=abc", session(acme, "octocat"));
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(r.body()).contains("query parameter &#39;before&#39; has a value of the wrong kind: "
                + "it must be a whole number");
    }

    @Test
    void aRemovedMembersAppStream_ends_evenWhileTheTeamsDeploymentsKeepChanging() throws Exception {
        String cookie = session(acme, "busybee");
        Deployment d = fx.pending(web);
        java.util.concurrent.atomic.AtomicBoolean churn = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        // A change every 50 ms: the stream never has an idle heartbeat to re-check access on.
        Thread writer = new Thread(() -> {
            while (churn.get()) {
                jdbi.useHandle(h -> h.execute("UPDATE deployments SET commit_message = ? WHERE id = ?",
                        "change " + n.incrementAndGet(), d.id()));
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (SseClient sse = SseClient.open(url("/events/apps/web"), cookie, null)) {
            assertThat(sse.status()).isEqualTo(200);
            writer.start();
            SseClient.Event first;
            do {
                first = sse.next(10);
            } while (first != null && !first.name().equals("deployment"));
            assertThat(first).as("the team's changes reach the member").isNotNull();
            jdbi.useHandle(h -> h.execute("DELETE FROM team_members WHERE user_id = "
                    + "(SELECT id FROM users WHERE login = 'busybee')"));
            int after = 0;
            while (sse.next(10) != null) {
                after++;
                assertThat(after).as("events sent after the member was removed").isLessThan(1000);
            }
        } finally {
            churn.set(false);
            writer.join();
        }
    }

    @Test
    void theLogDownload_isTheWholeLogAsAnAttachment_forTheViewersTeamsOnly() throws Exception {
        App foreign = fx.app(fx.team("globex"), "secret-app");
        Deployment foreignDeployment = fx.pending(foreign);
        Deployment d = fx.pending(web);
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
        try (BuildLog log = logs.open(d.id(), s -> s)) {
            for (int i = 0; i < 5000; i++) {
                log.line("line " + i + " ✓");
            }
        }
        String cookie = session(acme, "octocat");
        String path = "/apps/web/deployments/" + d.id() + "/log.txt";

        HttpResponse<String> file = get(path, cookie);
        assertThat(file.statusCode()).isEqualTo(200);
        assertThat(file.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(file.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"web-deployment-" + d.id() + ".log\"");
        assertThat(file.body()).isEqualTo(logs.read(d.id()));
        // More than one page of DashboardResource.DOWNLOAD_CHUNKS chunks (256 lines each): the stream pages on.
        assertThat(file.body().lines().count()).isEqualTo(5000);
        assertThat(get("/apps/web/deployments/" + d.id(), cookie).body()).contains("href=\"" + path + "\"");

        HttpResponse<String> anonymous = get(path, null);
        assertThat(anonymous.statusCode()).isEqualTo(303);
        assertThat(location(anonymous)).startsWith("/login?next=");
        assertThat(get("/apps/web/deployments/" + foreignDeployment.id() + "/log.txt", cookie).statusCode())
                .isEqualTo(404);
        assertThat(get("/apps/secret-app/deployments/" + foreignDeployment.id() + "/log.txt", cookie).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aDeploymentWithoutALog_saysWhy_insteadOfAnEmptyBox() throws Exception {
        DeploymentService requests = new DeploymentService(jdbi);
        Deployment older = requests.request(NewDeployment.manual(web.id(), "main", null));
        Deployment newer = requests.request(NewDeployment.manual(web.id(), "main", null));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> fx.reload(older).supersededBy() != null);
        String cookie = session(acme, "octocat");
        String page = get("/apps/web/deployments/" + older.id(), cookie).body();
        assertThat(page).contains("No build log: this deployment was superseded by deployment " + newer.id()
                + " before it started.").contains("id=\"log-viewer\" hidden");

        requests.cancel(fx.reload(newer));
        assertThat(get("/apps/web/deployments/" + newer.id(), cookie).body())
                .contains("No build log: this deployment was cancelled before it started.");
        // A deployment still waiting has its (empty) log box, for the lines to come.
        Deployment waiting = fx.pending(web);
        String pending = get("/apps/web/deployments/" + waiting.id(), cookie).body();
        assertThat(pending).contains("id=\"no-log\" class=\"no-log\" hidden").doesNotContain("id=\"log-viewer\" hidden");
    }

    @Test
    void builtImages_showReferenceDigestSizeAndPullLine_andCommitsLinkToTheirForge() throws Exception {
        App lab = fx.gitApp(acme, "lab", "https://gitlab.example.com/group/sub/lab.git", 600);
        App local = fx.gitApp(acme, "local", "file:///srv/git/local", 600);
        String sha = "abcdef0123456789abcdef0123456789abcdef01";
        String digest = "sha256:" + "5".repeat(64);
        Deployment built = jdbi.inTransaction(h -> DeploymentService.insert(h, new NewDeployment(lab.id(),
                DeploymentTrigger.PUSH, "main", sha, "Ship it", "Ada", null, null)));
        Deployment failed = jdbi.inTransaction(h -> DeploymentService.insert(h, new NewDeployment(lab.id(),
                DeploymentTrigger.PUSH, "main", sha, "Break it", "Ada", null, null)));
        jdbi.useHandle(h -> {
            h.execute("UPDATE deployments SET status = 'built', image_tag = ?, image_digest = ?, image_size_bytes = ?, "
                    + "build_started_at = now(), build_finished_at = now(), build_duration_ms = 4200 WHERE id = ?",
                    "127.0.0.1:5000/lab:abcdef012345", digest, 12_345_678L, built.id());
            h.execute("UPDATE deployments SET status = 'build_failed', error_message = 'no', build_started_at = now(), "
                    + "build_finished_at = now() WHERE id = ?", failed.id());
        });
        Deployment localBuild = jdbi.inTransaction(h -> DeploymentService.insert(h, new NewDeployment(local.id(),
                DeploymentTrigger.PUSH, "main", sha, "Local", "Ada", null, null)));
        String cookie = session(acme, "octocat");
        String pull = "docker pull 127.0.0.1:5000/lab@" + digest;

        String appPage = get("/apps/lab", cookie).body();
        assertThat(appPage).contains("Latest successful build").contains(pull).contains("12.3 MB")
                .contains("title=\"12345678 bytes\"").contains("data-copy=\"latest-image-pull\"")
                .contains("href=\"/apps/lab/deployments/" + built.id() + "\"")
                .contains("href=\"https://gitlab.example.com/group/sub/lab/-/commit/" + sha + "\"");
        String page = get("/apps/lab/deployments/" + built.id(), cookie).body();
        assertThat(page).contains(pull).contains("127.0.0.1:5000/lab:abcdef012345").contains(digest).contains("12.3 MB")
                .contains("href=\"https://gitlab.example.com/group/sub/lab/-/commit/" + sha + "\"");
        // A relative time, exact on hover.
        assertThat(page).containsPattern("<time datetime=\"[0-9T:.-]+Z\" title=\"\\d{4}-\\d\\d-\\d\\d "
                + "\\d\\d:\\d\\d:\\d\\d UTC\" data-ago>just now</time>");

        // file:// repositories: the SHA only, never a link; no successful build: no box.
        String localPage = get("/apps/local", cookie).body();
        assertThat(localPage).contains(sha.substring(0, 12)).doesNotContain("/commit/").contains("id=\"latest-built\"")
                .containsPattern("id=\"latest-built\"[^>]*hidden");
        assertThat(get("/apps/local/deployments/" + localBuild.id(), cookie).body()).doesNotContain("/commit/");
    }
}
