package com.vangoframework.rhone.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.NeedsChildProcesses;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
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
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's commands (list, show, update, delete, revoke, remove) as separate processes beside
 * a running service on the same database: what they print, their exit codes, that a bad argument
 * writes nothing, and that the service honours what they changed. The service claims no builds,
 * so deployment rows stay as each test puts them; a "running" build is one another node holds.
 */
@NeedsChildProcesses
class CliAdminTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    static Path dir;

    private static DatabaseTarget db;
    private static Jdbi jdbi;
    private static Fixtures fx;
    private static TestService service;

    record Run(int exit, List<String> stdout, String stderr) {
        String out() {
            return String.join("\n", stdout);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        service = new TestService(db, dir.resolve("service"), new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    @Test
    void listTeamsAndListApps_printAlignedTablesWithAHeader_andAnUnknownTeamIsAnError() throws Exception {
        Team acme = fx.team("lt-acme");
        Team globex = fx.team("lt-globex");
        App api = fx.gitApp(acme, "lt-api", "https://git.example.test/api.git", 1800);
        jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(acme.id(), "lt-site", "acme/site", 42L, null, "main", 600));
        fx.app(globex, "lt-other");
        Deployment latest = fx.pending(api);
        member(acme, "lt-octocat");
        fx.token(acme);
        revoked(fx.token(acme));

        Run teams = rhone("list-teams");
        assertThat(teams.exit()).as(teams.stderr()).isZero();
        assertThat(teams.stdout().get(0)).matches("TEAM +APPS +MEMBERS +TOKENS +PENDING +CREATED +NAME");
        // Other tests' teams share the database, so the widths vary: compare fields.
        List<String> acmeRow = fields(row(teams, "lt-acme "));
        assertThat(acmeRow.subList(0, 5)).containsExactly("lt-acme", "2", "1", "1", "1/50");
        assertThat(acmeRow.get(5)).matches("20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(acmeRow.subList(6, 8)).containsExactly("Team", "lt-acme");
        assertThat(fields(row(teams, "lt-globex ")).subList(0, 5)).containsExactly("lt-globex", "1", "0", "0", "0/50");
        assertAligned(teams.stdout());

        Run apps = rhone("list-apps", "--team", "lt-acme");
        assertThat(apps.exit()).as(apps.stderr()).isZero();
        assertThat(apps.stdout()).containsExactly(
                "APP      TEAM     BRANCH  LATEST  STATUS   SOURCE",
                "lt-api   lt-acme  main    " + latest.id() + pad(latest.id(), 8) + "pending  git https://git.example.test/api.git",
                "lt-site  lt-acme  main    -       -        github acme/site (installation 42)");
        assertThat(rhone("list-apps").stdout()).anyMatch(l -> l.startsWith("lt-other "));

        Run unknownOption = rhone("list-teams", "--team", "lt-acme");
        assertThat(unknownOption.exit()).isNotZero();
        assertThat(unknownOption.stderr()).contains("unrecognized arguments: '--team'");
        assertThat(unknownOption.stdout()).isEmpty();
        assertError(rhone("list-apps", "--team", "lt-nobody"), "--team: no team named 'lt-nobody'");
        assertError(rhone("list-apps", "--team", "Not A Slug"), "--team must be");
    }

    @Test
    void showApp_printsSettingsAndCounts_envVarNamesButNeverTheirValues() throws Exception {
        App app = fx.gitApp(fx.team("sa-acme"), "sa-web", "https://git.example.test/web.git", 2700);
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        EnvVarDao env = jdbi.onDemand(EnvVarDao.class);
        env.upsert(app.id(), "DATABASE_URL", box.encrypt(app.id(), "DATABASE_URL", "postgres://u:hunter2@db/x"));
        env.upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", "sk-very-secret"));
        Deployment built = fx.pending(app);
        jdbi.useHandle(h -> h.execute("""
                UPDATE deployments SET status = 'built', image_tag = '127.0.0.1:5000/sa-web:abc', image_digest = ?
                 WHERE id = ?""", "sha256:" + "1".repeat(64), built.id()));
        log(built, 3);
        Deployment pending = fx.pending(app);

        Run show = rhone("show-app", "--app", "sa-web");
        assertThat(show.exit()).as(show.stderr()).isZero();
        assertThat(show.stdout()).containsSubsequence(
                "app:            sa-web",
                "team:           sa-acme",
                "source:         git https://git.example.test/web.git",
                "branch:         main",
                "build timeout:  45 minutes",
                "env vars:       API_KEY, DATABASE_URL",
                "deployments:    2 (built 1, pending 1)");
        assertThat(show.stdout()).anyMatch(l -> l.startsWith("latest:         #" + pending.id() + " pending (manual of main, "));
        assertThat(show.stdout()).contains("last built:     #" + built.id() + " 127.0.0.1:5000/sa-web:abc@sha256:"
                + "1".repeat(64), "stored log:     3 lines");
        assertThat(show.out() + show.stderr()).doesNotContain("hunter2").doesNotContain("sk-very-secret");

        assertError(rhone("show-app", "--app", "sa-missing"), "--app: no app named 'sa-missing'");
    }

    @Test
    void updateApp_changesBranchTimeoutAndSource_andTheNextApiDeployIsForTheNewBranch() throws Exception {
        Team team = fx.team("ua-acme");
        App app = fx.gitApp(team, "ua-web", "https://git.example.test/web.git", 1800);
        String token = fx.token(team);

        Run update = rhone("update-app", "--app", "ua-web", "--branch", "release/2", "--build-timeout", "45");
        assertThat(update.exit()).as(update.stderr()).isZero();
        assertThat(update.stdout()).containsExactly("updated app ua-web:", "  branch: main -> release/2",
                "  build timeout: 30 minutes -> 45 minutes");
        HttpResponse<String> deploy = api("POST", "/api/apps/ua-web/deployments", token);
        assertThat(deploy.statusCode()).as(deploy.body()).isEqualTo(201);
        assertThat(new ObjectMapper().readTree(deploy.body()).get("branch").asText()).isEqualTo("release/2");

        Run toGitHub = rhone("update-app", "--app", "ua-web", "--repo", "acme/web", "--installation", "7");
        assertThat(toGitHub.stdout()).containsExactly("updated app ua-web:",
                "  source: git https://git.example.test/web.git -> github acme/web (installation 7)");
        App github = reload(app);
        assertThat(github.gitUrl()).isNull();
        assertThat(github.branch()).isEqualTo("release/2");
        assertThat(github.buildTimeoutSeconds()).isEqualTo(2700);

        // Bad arguments, each refused with the field named, before or after the app is read.
        assertError(rhone("update-app", "--app", "ua-web"), "nothing to change");
        assertError(rhone("update-app", "--app", "ua-web", "--build-timeout", "0"), "--build-timeout");
        assertError(rhone("update-app", "--app", "ua-web", "--git-url", "ftp://x.test/r.git"), "--git-url");
        assertError(rhone("update-app", "--app", "ua-web", "--branch", "bad..branch", "--build-timeout", "5"),
                "--branch");
        assertThat(reload(app)).isEqualTo(github);

        Run toGit = rhone("update-app", "--app", "ua-web", "--git-url", "file:///srv/git/web");
        assertThat(toGit.exit()).as(toGit.stderr()).isZero();
        App git = reload(app);
        assertThat(git.gitUrl()).isEqualTo("file:///srv/git/web");
        assertThat(git.githubRepo()).isNull();
        assertThat(git.installationId()).isNull();
        assertError(rhone("update-app", "--app", "ua-web", "--repo", "acme/other"), "--repo and --installation");
        assertThat(reload(app)).isEqualTo(git);
    }

    @Test
    void updateTeam_setsThePendingQuota_andTheServiceRefusesTheNextDeployPastIt() throws Exception {
        Team team = fx.team("ut-acme");
        fx.app(team, "ut-web");
        fx.app(team, "ut-api");
        String token = fx.token(team);
        assertThat(api("POST", "/api/apps/ut-web/deployments", token).statusCode()).isEqualTo(201);

        Run update = rhone("update-team", "--team", "ut-acme", "--pending-quota", "1");
        assertThat(update.exit()).as(update.stderr()).isZero();
        assertThat(update.stdout()).containsExactly("updated team ut-acme: pending quota 50 -> 1");
        HttpResponse<String> refused = api("POST", "/api/apps/ut-api/deployments", token);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.body()).contains("team ut-acme already has its quota of deployments waiting to build (1)");
        assertThat(fields(row(rhone("list-teams"), "ut-acme ")).get(4)).isEqualTo("1/1");
        assertThat(rhone("update-team", "--team", "ut-acme", "--pending-quota", "1").stdout())
                .containsExactly("team ut-acme already has a pending quota of 1; nothing changed");

        // Bad arguments change nothing.
        assertError(rhone("update-team", "--team", "ut-acme", "--pending-quota", "0"), "--pending-quota must be");
        assertError(rhone("update-team", "--team", "ut-acme", "--pending-quota", "lots"), "--pending-quota must be");
        assertError(rhone("update-team", "--team", "ut-nobody", "--pending-quota", "5"),
                "--team: no team named 'ut-nobody'");
        assertError(rhone("create-team", "--slug", "ut-other", "--name", "Other", "--pending-quota", "100001"),
                "--pending-quota must be");
        assertThat(jdbi.onDemand(TeamDao.class).findBySlug("ut-other")).isEmpty();
        assertThat(jdbi.onDemand(TeamDao.class).pendingQuota(team.id())).isEqualTo(1);

        Run created = rhone("create-team", "--slug", "ut-big", "--name", "Big", "--pending-quota", "500");
        assertThat(created.exit()).as(created.stderr()).isZero();
        assertThat(jdbi.onDemand(TeamDao.class).pendingQuota(
                jdbi.onDemand(TeamDao.class).findBySlug("ut-big").orElseThrow().id())).isEqualTo(500);
    }

    @Test
    void deleteApp_refusesWithoutYesAndWhileABuildRuns_thenDeletesDeploymentsLogsAndEnvVars() throws Exception {
        Team team = fx.team("da-acme");
        App app = fx.app(team, "da-web");
        App keep = fx.app(team, "da-keep");
        jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "TOKEN", new byte[] {1, 2, 3});
        Deployment built = fx.pending(app);
        jdbi.useHandle(h -> h.execute("""
                UPDATE deployments SET status = 'built', image_tag = '127.0.0.1:5000/da-web:0123456789ab',
                       image_digest = 'sha256:' || repeat('2', 64) WHERE id = ?""", built.id()));
        log(built, 5);
        Deployment running = fx.pending(app);
        jdbi.useHandle(h -> h.execute("""
                UPDATE deployments SET status = 'building', lease_owner = 'node-b', attempt = 1,
                       lease_expires_at = now() + interval '1 hour' WHERE id = ?""", running.id()));
        Deployment pending = fx.pending(app);
        Deployment keptLog = fx.pending(keep);
        log(keptLog, 2);

        Run busy = rhone("delete-app", "--app", "da-web", "--yes");
        assertError(busy, "app da-web has a build running (deployment " + running.id() + ", building): cancel it first");
        assertThat(deployments(app)).isEqualTo(3);

        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'build_failed', lease_owner = NULL WHERE id = ?",
                running.id()));
        Run unsure = rhone("delete-app", "--app", "da-web");
        assertError(unsure, "--yes is required to delete app da-web of team da-acme: that deletes 3 deployments"
                + " (1 pending), their build logs (5 lines) and 1 env var (images already pushed to the registry"
                + " are not deleted)");
        assertThat(deployments(app)).isEqualTo(3);
        assertThat(jdbi.onDemand(EnvVarDao.class).names(app.id())).containsExactly("TOKEN");

        Run deleted = rhone("delete-app", "--app", "da-web", "--yes");
        assertThat(deleted.exit()).as(deleted.stderr()).isZero();
        assertThat(deleted.stdout()).containsExactly(
                "deleted app da-web of team da-acme: 3 deployments (1 pending), their build logs (5 lines) and 1 env var",
                "not deleted: its 1 image in the registry (127.0.0.1:5000/da-web, and its build cache"
                        + " 127.0.0.1:5000/da-web:buildcache); remove them with the registry's own tools, before a new"
                        + " app named da-web pushes to the same repository");
        assertThat(jdbi.onDemand(AppDao.class).findBySlug("da-web")).isEmpty();
        assertThat(count("SELECT count(*) FROM deployments WHERE id IN (?, ?, ?)",
                built.id(), running.id(), pending.id())).isZero();
        assertThat(count("SELECT count(*) FROM deployment_log_chunks WHERE deployment_id IN (?, ?)",
                built.id(), keptLog.id())).as("only the other app's log is left").isEqualTo(1);
        assertThat(jdbi.onDemand(EnvVarDao.class).names(app.id())).isEmpty();
        assertThat(deployments(keep)).isEqualTo(1);
        assertError(rhone("delete-app", "--app", "da-web", "--yes"), "--app: no app named 'da-web'");
    }

    @Test
    void listAndRevokeTokens_neverShowATokenOrItsHash_andTheApiRefusesARevokedToken() throws Exception {
        Team team = fx.team("tk-acme");
        fx.app(team, "tk-web");
        String used = fx.token(team);
        String spare = ApiTokens.generate();
        jdbi.onDemand(ApiTokenDao.class).insert(team.id(), ApiTokens.sha256(spare), "ci deploys");
        assertThat(api("GET", "/api/apps/tk-web/deployments", used).statusCode()).isEqualTo(200);
        List<Long> ids = jdbi.withHandle(h -> h.select("SELECT id FROM api_tokens WHERE team_id = ? ORDER BY id",
                team.id()).mapTo(Long.class).list());

        Run list = rhone("list-tokens", "--team", "tk-acme");
        assertThat(list.exit()).as(list.stderr()).isZero();
        assertThat(list.stdout().get(0)).matches("ID +CREATED +LAST_USED +REVOKED +NAME");
        assertThat(fields(row(list, ids.get(0) + " "))).satisfies(f -> {
            assertThat(f.get(2)).as("last used").matches("20\\d\\d-.*Z");
            assertThat(f.get(3)).as("revoked").isEqualTo("-");
        });
        assertThat(row(list, ids.get(1) + " ")).matches(ids.get(1) + " +\\S+Z +- +- +ci deploys");
        String hex = HexFormat.of().formatHex(ApiTokens.sha256(used));
        assertThat(list.out()).doesNotContain(used.substring(4)).doesNotContain(spare.substring(4))
                .doesNotContainIgnoringCase(hex.substring(0, 16));

        Run revoke = rhone("revoke-token", "--id", String.valueOf(ids.get(0)));
        assertThat(revoke.exit()).as(revoke.stderr()).isZero();
        assertThat(revoke.stdout()).containsExactly("revoked token " + ids.get(0)
                + " (test) of team tk-acme; the API refuses it from now on");
        HttpResponse<String> refused = api("GET", "/api/apps/tk-web/deployments", used);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(api("GET", "/api/apps/tk-web/deployments", spare).statusCode()).isEqualTo(200);

        Run again = rhone("revoke-token", "--id", String.valueOf(ids.get(0)));
        assertError(again, "--id: token " + ids.get(0) + " of team tk-acme was already revoked at 20");
        assertError(rhone("revoke-token", "--id", "abc"), "--id must be a token id");
        assertError(rhone("list-tokens", "--team", "tk-nobody"), "--team: no team named 'tk-nobody'");
        assertThat(count("SELECT count(*) FROM api_tokens WHERE team_id = ? AND revoked_at IS NOT NULL", team.id()))
                .as("only the one token is revoked").isEqualTo(1);
    }

    @Test
    void listAndRemoveMembers_anOpenSessionOfTheRemovedMemberNoLongerSeesTheTeamsApp() throws Exception {
        Team acme = fx.team("mb-acme");
        Team globex = fx.team("mb-globex");
        fx.app(acme, "mb-web");
        fx.app(globex, "mb-globex-web");
        long octocat = member(acme, "mb-octocat");
        jdbi.useHandle(h -> h.execute("UPDATE users SET github_id = 583231 WHERE id = ?", octocat));
        jdbi.useExtension(SessionDao.class, dao -> dao.addMember(globex.id(), octocat));
        member(acme, "mb-hubot");
        String session = new Sessions(jdbi, Clock.systemUTC()).create(octocat);
        assertThat(page("/apps/mb-web", session).statusCode()).isEqualTo(200);

        Run list = rhone("list-members", "--team", "mb-acme");
        assertThat(list.exit()).as(list.stderr()).isZero();
        assertThat(list.stdout()).hasSize(3);
        assertThat(list.stdout().get(0)).matches("LOGIN +ROLE +GITHUB +ADDED +NAME");
        assertThat(list.stdout().get(1)).matches("mb-hubot +member +- +20\\S+Z +-");
        assertThat(list.stdout().get(2)).matches("mb-octocat +member +583231 +20\\S+Z +-");

        Run removed = rhone("remove-member", "--team", "mb-acme", "--user", "mb-octocat");
        assertThat(removed.exit()).as(removed.stderr()).isZero();
        assertThat(removed.stdout()).containsExactly(
                "mb-octocat is no longer a member of mb-acme; their open dashboard sessions no longer show its apps");
        assertThat(page("/apps/mb-web", session).statusCode()).as("the same session, one request later").isEqualTo(404);
        assertThat(page("/apps/mb-globex-web", session).statusCode()).as("their other team").isEqualTo(200);

        assertError(rhone("remove-member", "--team", "mb-acme", "--user", "mb-octocat"),
                "--user: mb-octocat is not a member of mb-acme");
        assertError(rhone("remove-member", "--team", "mb-acme", "--user", "bad--login"), "--user");
        assertError(rhone("list-members", "--team", "mb-nobody"), "--team: no team named 'mb-nobody'");
        List<SessionDao.Member> members = jdbi.onDemand(SessionDao.class).members(acme.id());
        assertThat(members).extracting(SessionDao.Member::login).containsExactly("mb-hubot");
    }

    @Test
    void addMember_withGitHubSignIn_printsTheStoredAccountId_addsByLoginWhenGitHubIsDown_andRefusesAnUnknownLogin()
            throws Exception {
        Team acme = fx.team("gh-acme");
        try (FakeGitHub github = new FakeGitHub(1, "ghs_installation", "gh-acme/web")) {
            github.user(1001, "gh-alice", "Alice");
            github.server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/users/gh-carol")
                    .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(502)));
            List<String> signIn = List.of("-Ddw.dashboard.oauthClientId=Iv1.client",
                    "-Ddw.dashboard.oauthClientSecret=oauth-secret", "-Ddw.github.apiUrl=" + github.url());

            Run alice = rhone(signIn, "add-member", "--team", "gh-acme", "--user", "gh-alice");
            assertThat(alice.exit()).as(alice.stderr()).isZero();
            assertThat(alice.stdout()).containsExactly("gh-alice is now a member of gh-acme (GitHub account 1001)");

            Run carol = rhone(signIn, "add-member", "--team", "gh-acme", "--user", "gh-carol");
            assertThat(carol.exit()).as(carol.stderr()).isZero();
            assertThat(carol.stdout()).containsExactly("gh-carol is now a member of gh-acme",
                    "No GitHub account id stored (GitHub answered 502): gh-carol signs in with a link from login-link,"
                            + " not with GitHub, until add-member --team gh-acme --user gh-carol is run again while"
                            + " GitHub answers");

            assertError(rhone(signIn, "add-member", "--team", "gh-acme", "--user", "gh-nobody"),
                    "--user: GitHub has no account named 'gh-nobody'; nothing was written");
        }
        assertThat(jdbi.onDemand(SessionDao.class).members(acme.id())).extracting(SessionDao.Member::login,
                SessionDao.Member::githubId).containsExactly(org.assertj.core.groups.Tuple.tuple("gh-alice", 1001L),
                org.assertj.core.groups.Tuple.tuple("gh-carol", null));
        assertThat(jdbi.onDemand(SessionDao.class).userByLogin("gh-nobody")).isEmpty();
    }

    // --- helpers ---

    /** One command in its own JVM, on the service's database, the config file last. */
    private static Run rhone(String... args) throws Exception {
        return rhone(List.of(), args);
    }

    /** The same with more JVM arguments ({@code -Ddw.…} settings). */
    private static Run rhone(List<String> jvmArgs, String... args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                // A command runs for a second: C1 alone starts it faster than tiered compilation.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Ddw.database.url=" + db.jdbcUrl(), "-Ddw.database.user=" + db.user(),
                "-Ddw.database.password=" + db.password(), "-Ddw.secretKey=" + TestService.SECRET_KEY,
                "-Ddw.dataDir=" + dir.resolve("data")));
        command.addAll(jvmArgs);
        command.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), RhoneApplication.class.getName()));
        command.addAll(List.of(args));
        command.add(Path.of("config.yml").toAbsolutePath().toString());
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err));
    }

    /** Exit status non-zero, the last line of stderr is the one-line error, stdout is empty. */
    private static void assertError(Run run, String message) {
        assertThat(run.exit()).as("exit status").isNotZero();
        String[] lines = run.stderr().strip().split("\n");
        assertThat(lines[lines.length - 1]).startsWith("error: ").contains(message);
        assertThat(run.stdout()).as("nothing on stdout").isEmpty();
    }

    private static String row(Run run, String prefix) {
        return run.stdout().stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + run.out()));
    }

    private static List<String> fields(String line) {
        return List.of(line.split(" +"));
    }

    /** Every column but the last starts at the same place on every line. */
    private static void assertAligned(List<String> lines) {
        String header = lines.get(0);
        List<Integer> starts = new ArrayList<>();
        for (int i = 1; i < header.length(); i++) {
            if (header.charAt(i) != ' ' && header.charAt(i - 1) == ' ') {
                starts.add(i);
            }
        }
        for (String line : lines) {
            for (int start : starts) {
                assertThat(line.charAt(start - 1)).as("before column %d in '%s'", start, line).isEqualTo(' ');
                assertThat(line.charAt(start)).as("column %d in '%s'", start, line).isNotEqualTo(' ');
            }
        }
    }

    private static String pad(long id, int width) {
        return " ".repeat(width - String.valueOf(id).length());
    }

    private static long member(Team team, String login) {
        return jdbi.withExtension(SessionDao.class, dao -> {
            long id = dao.upsertUser(login).id();
            dao.addMember(team.id(), id);
            return id;
        });
    }

    private static void revoked(String token) {
        jdbi.useHandle(h -> h.execute("UPDATE api_tokens SET revoked_at = now() WHERE token_sha256 = ?",
                (Object) ApiTokens.sha256(token)));
    }

    private static void log(Deployment d, int lines) {
        jdbi.useHandle(h -> h.execute("""
                INSERT INTO deployment_log_chunks (deployment_id, seq, first_line, line_count, bytes, content)
                VALUES (?, 0, 0, ?, 10, 'log')""", d.id(), lines));
    }

    private static long deployments(App app) {
        return count("SELECT count(*) FROM deployments WHERE app_id = ?", app.id());
    }

    private static long count(String sql, Object... args) {
        return jdbi.withHandle(h -> h.select(sql, args).mapTo(Long.class).one());
    }

    private static App reload(App app) {
        return jdbi.onDemand(AppDao.class).findById(app.id()).orElseThrow();
    }

    private static HttpResponse<String> api(String method, String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> page(String path, String session) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(Duration.ofSeconds(10))
                .header("Cookie", Sessions.COOKIE + "=" + session).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
