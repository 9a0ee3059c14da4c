package com.vangoframework.rhone.web;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.cli.RhoneCommand.UsageError;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.github.GitHubUsers;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Sign in with GitHub" over HTTP against the running service and a fake GitHub, with members
 * added the way {@code add-member} adds them ({@link Members}): an account gets in by the id
 * GitHub gave for the member's login when they were added, never by holding that login now.
 */
class GitHubSignInTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path dir;

    private static FakeGitHub github;
    private static Jdbi jdbi;
    private static Fixtures fx;
    private static TestService service;
    private static Members members;

    /** One service for the class: each test has its own logins. */
    @BeforeAll
    static void start() throws Exception {
        github = new FakeGitHub(1, "ghs_installation", "acme/web");
        github.server.stubFor(post(urlEqualTo("/login/oauth/access_token")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"access_token\":\"gho_user_token\"}")));
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        fx.app(fx.team("acme"), "web");
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.oauthClientId", "Iv1.client"),
                ConfigOverride.config("dashboard.oauthClientSecret", "oauth-secret"),
                ConfigOverride.config("builder.gitHubUrl", github.url()),
                ConfigOverride.config("github.apiUrl", github.url())).start();
        members = new Members(jdbi, Optional.of(new GitHubUsers(github.url())));
    }

    @AfterAll
    static void stop() {
        service.stop();
        github.close();
    }

    @Test
    void anAccountThatRegisteredAMembersOldLogin_isRefused_andGetsNoSessionAndNoTeam() throws Exception {
        github.user(1001, "alice", "Alice");
        assertThat(members.add("acme", "alice")).containsExactly("alice is now a member of acme (GitHub account 1001)");

        // Alice renames on GitHub; someone else registers "alice" and signs in with it.
        HttpResponse<String> taken = signIn(2002, "alice", "Not Alice");
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(403);
        assertThat(taken.body()).contains("is not a member of any team here").contains("add-member");
        assertNoSession(taken);
        assertThat(user("alice").githubId()).as("the stored id stays the member's").isEqualTo(1001L);
        assertThat(user("alice").name()).isEqualTo("Alice");
        assertThat(sessionsOf("alice")).isZero();

        // Alice herself, under her new login, still gets in: by her id.
        HttpResponse<String> alice = signIn(1001, "alice-renamed", "Alice\u0007 Liddell");
        assertThat(alice.statusCode()).as(alice.body()).isEqualTo(303);
        assertThat(page("/apps/web", sessionCookie(alice)).statusCode()).isEqualTo(200);
        assertThat(user("alice").name()).as("the name GitHub shows, stored clean").isEqualTo("Alice\u2407 Liddell");
    }

    @Test
    void aMemberAddedWhileGitHubWasDown_cannotBeTakenByTheLogin_signsInByLink_andAddMemberAgainStoresTheId()
            throws Exception {
        github.server.stubFor(get(urlEqualTo("/users/carol")).willReturn(aResponse().withStatus(503)));
        List<String> added = members.add("acme", "carol");
        assertThat(added.get(0)).isEqualTo("carol is now a member of acme");
        assertThat(added.get(1)).startsWith("No GitHub account id stored (GitHub answered 503): carol signs in with "
                + "a link from login-link").endsWith("until add-member --team acme --user carol is run again while "
                + "GitHub answers");
        assertThat(user("carol").githubId()).isNull();

        // Whoever holds the login "carol" on GitHub is not taken for her: GitHub never said whose it was.
        HttpResponse<String> taken = signIn(3003, "carol", null);
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(403);
        assertThat(taken.body()).contains("login-link --user carol");
        assertNoSession(taken);
        assertThat(user("carol").githubId()).isNull();
        assertThat(sessionsOf("carol")).isZero();

        // Meanwhile a login link signs her in.
        String token = new Sessions(jdbi, Clock.systemUTC()).createLoginLink(user("carol").id());
        HttpResponse<String> linked = HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/login/link"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(linked.statusCode()).as(linked.body()).isEqualTo(303);
        assertThat(page("/apps/web", sessionCookie(linked)).statusCode()).isEqualTo(200);

        // GitHub answers again: add-member asks it, stores the id, and GitHub sign-in works.
        github.user(3003, "carol", "Carol");
        assertThat(members.add("acme", "carol")).containsExactly("carol was already a member of acme (GitHub account 3003)");
        HttpResponse<String> carol = signIn(3003, "carol", "Carol");
        assertThat(carol.statusCode()).as(carol.body()).isEqualTo(303);
        assertThat(page("/apps/web", sessionCookie(carol)).statusCode()).isEqualTo(200);
    }

    @Test
    void addMember_refusesAnUnknownLoginAnOrganizationAndALoginThatNowNamesAnotherAccount_writingNothing()
            throws Exception {
        github.server.stubFor(get(urlEqualTo("/users/nobody")).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Not Found\"}")));
        assertThatThrownBy(() -> members.add("acme", "nobody")).isInstanceOf(UsageError.class)
                .hasMessage("--user: GitHub has no account named 'nobody'; nothing was written");
        github.server.stubFor(get(urlEqualTo("/users/initech")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"id\":77,\"login\":\"initech\",\"type\":\"Organization\"}")));
        assertThatThrownBy(() -> members.add("acme", "initech")).isInstanceOf(UsageError.class)
                .hasMessage("--user: 'initech' is a GitHub organization, not a person's account; nothing was written");
        assertThat(jdbi.onDemand(SessionDao.class).userByLogin("nobody")).isEmpty();
        assertThat(jdbi.onDemand(SessionDao.class).userByLogin("initech")).isEmpty();

        github.user(4004, "dave", null);
        members.add("acme", "dave");
        Team globex = fx.team("globex");
        github.user(5005, "dave", null); // dave renamed; another account holds the login now
        assertThatThrownBy(() -> members.add("globex", "dave")).isInstanceOf(UsageError.class)
                .hasMessageStartingWith("--user: the login dave now names GitHub account 5005, not account 4004 "
                        + "that the user dave here is");
        assertThat(user("dave").githubId()).isEqualTo(4004L);
        assertThat(jdbi.onDemand(SessionDao.class).members(globex.id())).isEmpty();

        // Dave under his new login is the same person: the new team goes to the user he is here.
        github.user(4004, "dave-new", null);
        assertThat(members.add("globex", "dave-new")).containsExactly(
                "dave-new is GitHub account 4004, the user dave here", "dave is now a member of globex (GitHub account 4004)");
        assertThat(jdbi.onDemand(SessionDao.class).userByLogin("dave-new")).isEmpty();
        assertThatThrownBy(() -> members.add("nope", "dave")).isInstanceOf(UsageError.class)
                .hasMessage("--team: no team named 'nope'");
    }

    @Test
    void addMember_whenGitHubCannotBeReached_addsByLoginAndSaysSo() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        List<String> lines = new Members(jdbi, Optional.of(new GitHubUsers("http://127.0.0.1:" + closed)))
                .add("acme", "erin");
        assertThat(lines.get(0)).isEqualTo("erin is now a member of acme");
        assertThat(lines.get(1)).startsWith("No GitHub account id stored (GitHub did not answer (ConnectException");
        assertThat(user("erin").githubId()).isNull();

        github.server.stubFor(get(urlEqualTo("/users/frank")).willReturn(aResponse().withStatus(403)
                .withHeader("x-ratelimit-remaining", "0").withBody("{\"message\":\"API rate limit exceeded\"}")));
        assertThat(members.add("acme", "frank").get(1)).startsWith("No GitHub account id stored (GitHub's rate "
                + "limit for lookups from this address is used up");
    }

    // --- helpers ---

    /** The whole "Sign in with GitHub" round trip for the account GitHub says the user authorized as. */
    private static HttpResponse<String> signIn(long id, String login, String name) throws Exception {
        github.server.stubFor(get(urlEqualTo("/user")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(JSON.createObjectNode().put("id", id)
                        .put("login", login).put("name", name).toString())));
        HttpResponse<String> start = page("/login/github", null);
        assertThat(start.statusCode()).isEqualTo(303);
        String state = URI.create(start.headers().firstValue("Location").orElseThrow()).getQuery()
                .replaceAll(".*state=([^&]+).*", "$1");
        String cookie = start.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(SignInResource.STATE_COOKIE + "=")).findFirst().orElseThrow();
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/login/github/callback?code=c&state="
                        + URLEncoder.encode(state, StandardCharsets.UTF_8)))
                .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> page(String path, String session) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(service.url() + path));
        if (session != null) {
            r.header("Cookie", Sessions.COOKIE + "=" + session);
        }
        return HTTP.send(r.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sessionCookie(HttpResponse<String> response) {
        String header = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(Sessions.COOKIE + "=")).findFirst().orElseThrow();
        return header.substring(Sessions.COOKIE.length() + 1, header.indexOf(';'));
    }

    private static void assertNoSession(HttpResponse<String> response) {
        assertThat(response.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(Sessions.COOKIE + "=")
                && !c.startsWith(Sessions.COOKIE + "=;"));
    }

    private static long sessionsOf(String login) {
        return jdbi.withHandle(h -> h.select("SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id "
                + "WHERE u.login = ?", login).mapTo(Long.class).one());
    }

    private static SessionDao.User user(String login) {
        return jdbi.onDemand(SessionDao.class).userByLogin(login).orElseThrow();
    }
}
