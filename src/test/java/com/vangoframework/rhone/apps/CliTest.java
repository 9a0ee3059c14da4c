package com.vangoframework.rhone.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.NeedsChildProcesses;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands as an operator runs them: separate processes, exit codes, stdout and stderr. */
@NeedsChildProcesses
class CliTest {

    @TempDir
    Path dir;

    private DatabaseTarget db;
    private Jdbi jdbi;
    private Fixtures fx;

    record Run(int exit, List<String> stdout, String stderr) {
        String lastLine() {
            return stdout.isEmpty() ? "" : stdout.get(stdout.size() - 1);
        }
    }

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
    }

    private Run rhone(List<String> jvmArgs, String... args) throws Exception {
        List<String> withConfig = new ArrayList<>(List.of(args));
        withConfig.add(Path.of("config.yml").toAbsolutePath().toString());
        return exec(jvmArgs, withConfig);
    }

    /** The command line exactly as given: no configuration file is added. */
    private Run exec(List<String> jvmArgs, List<String> args) throws Exception {
        return exec(jvmArgs, args, null);
    }

    /** Against the test database server, with {@code stdin} as the command's standard input. */
    private Run rhoneWithStdin(String stdin, String... args) throws Exception {
        List<String> withConfig = new ArrayList<>(List.of(args));
        withConfig.add(Path.of("config.yml").toAbsolutePath().toString());
        return exec(serverDatabase(), withConfig, stdin);
    }

    private Run exec(List<String> jvmArgs, List<String> args, String stdin) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        // A CLI command is a short-lived JVM: C1 only and the serial collector start it about a
        // third faster (5.0 s against 3.3 s for list-teams here), which the suite's time needs.
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RhoneApplication.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin != null) {
            builder.redirectInput(Files.writeString(Files.createTempFile(dir, "in", ".txt"), stdin).toFile());
        }
        Process p = builder.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err));
    }

    /** Against the test database server, like a deployment with DATABASE_URL. */
    private Run rhone(String... args) throws Exception {
        return rhone(serverDatabase(), args);
    }

    private List<String> serverDatabase() {
        return List.of("-Ddw.database.url=" + db.jdbcUrl(), "-Ddw.database.user=" + db.user(),
                "-Ddw.database.password=" + db.password(), "-Ddw.secretKey=" + TestService.SECRET_KEY,
                "-Ddw.dataDir=" + dir.resolve("data"));
    }

    @Test
    void createTeamAppAndToken_tokenIsTheLastLineAndOnlyItsHashIsStored() throws Exception {
        assertThat(rhone("create-team", "--slug", "acme", "--name", "Acme Inc").exit()).isZero();
        Run app = rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "42", "--branch", "main");
        assertThat(app.exit()).as(app.stderr()).isZero();
        assertThat(rhone("create-app", "--team", "acme", "--slug", "docs", "--git-url",
                "https://git.example.test/docs.git", "--branch", "release/1.x").exit()).isZero();

        Run token = rhone("create-token", "--team", "acme");
        assertThat(token.exit()).isZero();
        String raw = token.lastLine();
        assertThat(ApiTokens.looksLikeToken(raw)).isTrue();
        ApiTokenAuthenticator auth = new ApiTokenAuthenticator(jdbi.onDemand(ApiTokenDao.class));
        assertThat(auth.authenticate(raw)).map(TeamPrincipal::teamSlug).contains("acme");
        String stored = jdbi.withHandle(h -> h.createQuery("SELECT encode(token_sha256, 'escape') FROM api_tokens")
                .mapTo(String.class).one());
        assertThat(stored).doesNotContain(raw.substring(4));

        App web = jdbi.onDemand(AppDao.class).findBySlug("web").orElseThrow();
        assertThat(web.githubRepo()).isEqualTo("acme/web");
        assertThat(web.installationId()).isEqualTo(42L);
        assertThat(web.buildTimeoutSeconds()).isEqualTo(1800);
    }

    @Test
    void setEnv_storesValuesEncrypted_andUnsetEnvRemovesThem() throws Exception {
        App app = fx.app(fx.team("acme"), "web");
        Run set = rhone("set-env", "--app", "web", "DATABASE_URL=postgres://u:hunter2@db/x", "PLAIN=a=bc");
        assertThat(set.exit()).as(set.stderr()).isZero();
        assertThat(String.join("\n", set.stdout())).doesNotContain("hunter2");
        assertThat(set.stderr()).contains("warning: a value on the command line shows in ps and in shell history");
        assertThat(set.stdout()).contains("note: the value of PLAIN has fewer than 8 characters: build logs mask it"
                + " as it is, not its base64, URL or JSON forms");

        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        List<EnvVarDao.EncryptedVar> vars = jdbi.onDemand(EnvVarDao.class).list(app.id());
        assertThat(vars).extracting(EnvVarDao.EncryptedVar::name).containsExactly("DATABASE_URL", "PLAIN");
        EnvVarDao.EncryptedVar secret = vars.get(0);
        assertThat(new String(secret.valueEncrypted(), StandardCharsets.ISO_8859_1)).doesNotContain("hunter2");
        assertThat(box.decrypt(app.id(), "DATABASE_URL", secret.valueEncrypted()))
                .isEqualTo("postgres://u:hunter2@db/x");
        assertThat(box.decrypt(app.id(), "PLAIN", vars.get(1).valueEncrypted())).isEqualTo("a=bc");

        assertThat(rhone("unset-env", "--app", "web", "PLAIN").exit()).isZero();
        assertThat(jdbi.onDemand(EnvVarDao.class).names(app.id())).containsExactly("DATABASE_URL");
    }

    @Test
    void setEnv_readsTheValueFromStdin_orFromFile_keepsInnerLineBreaks_andStoresItEncrypted() throws Exception {
        App app = fx.app(fx.team("acme"), "web");
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        String pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----";
        Run set = rhoneWithStdin(pem + "\n", "set-env", "--app", "web", "TLS_KEY");
        assertThat(set.exit()).as(set.stderr()).isZero();
        assertThat(set.lastLine()).isEqualTo("set TLS_KEY on app web");
        assertThat(String.join("\n", set.stdout()) + set.stderr()).doesNotContain("MIIEvQ").doesNotContain("warning");
        EnvVarDao.EncryptedVar stored = jdbi.onDemand(EnvVarDao.class).list(app.id()).get(0);
        assertThat(box.decrypt(app.id(), "TLS_KEY", stored.valueEncrypted())).isEqualTo(pem);

        // Exactly one trailing line break is removed: a value that ends in one keeps the other.
        Path file = Files.writeString(dir.resolve("token.txt"), "file-secret-value\n\n");
        Run fromFile = rhoneWithStdin("", "set-env", "--app", "web", "--from-file", file.toString(), "API_TOKEN");
        assertThat(fromFile.exit()).as(fromFile.stderr()).isZero();
        assertThat(String.join("\n", fromFile.stdout()) + fromFile.stderr()).doesNotContain("file-secret");
        List<EnvVarDao.EncryptedVar> vars = jdbi.onDemand(EnvVarDao.class).list(app.id());
        assertThat(vars).extracting(EnvVarDao.EncryptedVar::name).containsExactly("API_TOKEN", "TLS_KEY");
        assertThat(box.decrypt(app.id(), "API_TOKEN", vars.get(0).valueEncrypted())).isEqualTo("file-secret-value\n");
    }

    @Test
    void setEnv_malformedArgumentsAndBadValues_areRefusedWithoutEchoingTheValue_andWriteNothing() throws Exception {
        fx.app(fx.team("acme"), "web");
        Run noName = rhone("set-env", "--app", "web", "=hunter2-secret");
        assertError(noName, "variable 1 has no name before '='");
        Run valueWithoutName = rhoneWithStdin("", "set-env", "--app", "web", "hunter2-secret");
        assertError(valueWithoutName, "variable 1 is neither NAME=VALUE nor a NAME");
        assertThat(noName.stderr() + valueWithoutName.stderr()).doesNotContain("hunter2");

        Run shortOnStdin = rhoneWithStdin("7x!\n", "set-env", "--app", "web", "SHORT");
        assertError(shortOnStdin, "the value of SHORT has 3 characters: build logs mask values of 4 or more only;"
                + " give --not-secret to store it anyway");
        assertThat(shortOnStdin.stderr()).doesNotContain("7x!");
        assertError(rhone("set-env", "--app", "web", "FLAG=on"), "give --not-secret");
        assertError(rhoneWithStdin("", "set-env", "--app", "web", "EMPTY"), "no value on stdin");
        assertError(rhoneWithStdin("x".repeat(64 * 1024 + 1), "set-env", "--app", "web", "BIG"), "64 KiB");
        assertError(rhoneWithStdin("long-enough\n", "set-env", "--app", "web", "ONE", "TWO"), "one NAME");
        assertError(rhoneWithStdin("", "set-env", "--app", "web", "--from-file", dir.resolve("none").toString(),
                "GONE"), "no such file");
        assertThat(fx.count("app_env_vars")).isZero();

        // Told the values are not secret, short ones are stored (and builds' logs will show them).
        Run flag = rhoneWithStdin("on\n", "set-env", "--app", "web", "--not-secret", "FLAG");
        assertThat(flag.exit()).as(flag.stderr()).isZero();
        Run debug = rhone("set-env", "--app", "web", "--not-secret", "DEBUG=1");
        assertThat(debug.exit()).as(debug.stderr()).isZero();
        assertThat(debug.stderr()).doesNotContain("warning");
        App app = jdbi.onDemand(AppDao.class).findBySlug("web").orElseThrow();
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        List<EnvVarDao.EncryptedVar> vars = jdbi.onDemand(EnvVarDao.class).list(app.id());
        assertThat(vars).extracting(EnvVarDao.EncryptedVar::name).containsExactly("DEBUG", "FLAG");
        assertThat(box.decrypt(app.id(), "FLAG", vars.get(1).valueEncrypted())).isEqualTo("on");
    }

    @Test
    void setRegistryCredentials_readsThePasswordFromStdin_storesItEncrypted_andUnsetRemovesIt() throws Exception {
        App app = fx.app(fx.team("acme"), "web");
        String password = "FlyV1 fm2_secret-deploy-token";
        Run set = rhoneWithStdin(password + "\n", "set-registry-credentials", "--app", "web", "--username", "x");
        assertThat(set.exit()).as(set.stderr()).isZero();
        assertThat(set.lastLine()).isEqualTo("set the registry credentials of app web (user x): its builds use them "
                + "instead of the global ones");
        assertThat(String.join("\n", set.stdout()) + set.stderr()).doesNotContain("secret-deploy-token");

        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        RegistryCredentialsDao.Stored stored = jdbi.onDemand(RegistryCredentialsDao.class).find(app.id()).orElseThrow();
        assertThat(stored.username()).isEqualTo("x");
        assertThat(new String(stored.passwordEncrypted(), StandardCharsets.ISO_8859_1)).doesNotContain("secret-deploy");
        assertThat(box.decryptRegistryPassword(app.id(), stored.passwordEncrypted())).isEqualTo(password);
        // Bound to the app and the purpose: the same bytes are no other app's password, nor an env var.
        assertThatThrownBy(() -> box.decryptRegistryPassword(app.id() + 1, stored.passwordEncrypted()))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> box.decrypt(app.id(), "x", stored.passwordEncrypted()))
                .isInstanceOf(IllegalStateException.class);

        Run unset = rhone("unset-registry-credentials", "--app", "web");
        assertThat(unset.exit()).as(unset.stderr()).isZero();
        assertThat(unset.lastLine()).startsWith("removed the registry credentials of app web");
        assertThat(fx.count("app_registry_credentials")).isZero();
        assertThat(rhone("unset-registry-credentials", "--app", "web").lastLine())
                .isEqualTo("app web has no registry credentials of its own");
    }

    @Test
    void setRegistryCredentials_refusesAPasswordOnTheCommandLineOrABadOne_andWritesNothing() throws Exception {
        fx.app(fx.team("acme"), "web");
        // No password on argv: the parser has no place for it.
        Run argv = rhoneWithStdin("", "set-registry-credentials", "--app", "web", "--username", "x",
                "--password", "hunter2-argv");
        assertThat(argv.exit()).isNotZero();
        assertThat(argv.stderr()).doesNotContain("hunter2-argv");
        assertError(rhoneWithStdin("", "set-registry-credentials", "--app", "web", "--username", "x"), "no password on stdin");
        assertError(rhoneWithStdin("one\ntwo\n", "set-registry-credentials", "--app", "web", "--username", "x"),
                "one line");
        assertError(rhoneWithStdin("pw\n", "set-registry-credentials", "--app", "web", "--username", "a:b"), "--username");
        assertError(rhoneWithStdin("pw\n", "set-registry-credentials", "--app", "nope", "--username", "x"), "--app");
        assertThat(fx.count("app_registry_credentials")).isZero();
    }

    @Test
    void badArguments_printOneLineNamingTheField_exitNonZero_writeNothing() throws Exception {
        fx.team("acme");
        assertError(rhone("create-team", "--slug", "Bad Slug", "--name", "x"), "--slug");
        assertError(rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "42", "--git-url", "https://x.test/r.git", "--branch", "main"), "--git-url");
        assertError(rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "not a repo",
                "--installation", "42", "--branch", "main"), "--repo");
        assertError(rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "-3", "--branch", "main"), "--installation");
        assertError(rhone("create-app", "--team", "acme", "--slug", "web", "--git-url", "https://x.test/r.git",
                "--branch", "bad..branch"), "--branch");
        assertError(rhone("create-app", "--team", "nobody", "--slug", "web", "--git-url", "https://x.test/r.git",
                "--branch", "main"), "--team");
        assertError(rhone("set-env", "--app", "missing", "A=long-enough"), "--app");
        assertError(rhone("create-token", "--team", "nobody"), "--team");
        assertThat(fx.count("apps")).isZero();
        assertThat(fx.count("api_tokens")).isZero();
        assertThat(fx.count("teams")).isEqualTo(1);

        fx.app(fx.team("globex"), "web2");
        assertError(rhone("set-env", "--app", "web2", "GOOD=1", "1BAD=2"), "1BAD");
        assertThat(fx.count("app_env_vars")).isZero();
    }

    @Test
    void createApp_pullRequestSettings_defaultToApproveAndOff_andShowAppPrintsThem() throws Exception {
        fx.team("acme");
        Run plain = rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "42", "--branch", "main");
        assertThat(plain.exit()).as(plain.stderr()).isZero();
        Run set = rhone("create-app", "--team", "acme", "--slug", "api", "--repo", "acme/api",
                "--installation", "42", "--branch", "main", "--fork-pull-requests", "never",
                "--pull-request-secrets", "on");
        assertThat(set.exit()).as(set.stderr()).isZero();
        // Accepted for a git URL app too: stored, used if it ever moves to a GitHub repository.
        Run git = rhone("create-app", "--team", "acme", "--slug", "docs", "--git-url", "https://x.test/docs.git",
                "--branch", "main", "--fork-pull-requests", "always");
        assertThat(git.exit()).as(git.stderr()).isZero();

        AppDao apps = jdbi.onDemand(AppDao.class);
        App web = apps.findBySlug("web").orElseThrow();
        assertThat(web.forkPolicy()).isEqualTo(App.ForkPolicy.APPROVE);
        assertThat(web.pullRequestSecrets()).isFalse();
        App api = apps.findBySlug("api").orElseThrow();
        assertThat(api.forkPullRequests()).isEqualTo("never");
        assertThat(api.pullRequestSecrets()).isTrue();
        assertThat(apps.findBySlug("docs").orElseThrow().forkPolicy()).isEqualTo(App.ForkPolicy.ALWAYS);

        assertThat(rhone("show-app", "--app", "web").stdout()).containsSubsequence(
                "build timeout:  30 minutes",
                "fork PRs:       approve (wait for approval)",
                "PR env vars:    off",
                "env vars:       -");
        assertThat(rhone("show-app", "--app", "api").stdout()).containsSubsequence(
                "build timeout:  30 minutes",
                "fork PRs:       never (not built)",
                "PR env vars:    on (same-repository pull requests only)");
        assertThat(rhone("show-app", "--app", "docs").stdout())
                .contains("fork PRs:       always (built without env vars)");
    }

    @Test
    void createApp_badPullRequestSettingOrASlugEndingInPr_isRefusedWithTheReason_andCreatesNothing()
            throws Exception {
        fx.team("acme");
        Run fork = rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "42", "--branch", "main", "--fork-pull-requests", "sometimes");
        assertError(fork, "--fork-pull-requests");
        assertThat(fork.stderr().strip()).isEqualTo("error: --fork-pull-requests must be approve, never or always");
        Run secrets = rhone("create-app", "--team", "acme", "--slug", "web", "--repo", "acme/web",
                "--installation", "42", "--branch", "main", "--pull-request-secrets", "yes");
        assertError(secrets, "--pull-request-secrets");
        assertThat(secrets.stderr().strip()).isEqualTo("error: --pull-request-secrets must be on or off");

        Run pr = rhone("create-app", "--team", "acme", "--slug", "web-pr", "--repo", "acme/web",
                "--installation", "42", "--branch", "main");
        assertError(pr, "--slug");
        assertThat(pr.stderr().strip()).isEqualTo("error: --slug must not end in '-pr': <registry>/<app>-pr is where "
                + "app <app>'s pull-request images go, so 'web-pr' would collide with the pull-request images of an "
                + "app 'web'");
        assertThat(fx.count("apps")).isZero();

        // Only creation checks the suffix: an app that already has such a name is still usable.
        fx.app(fx.team("globex"), "old-pr");
        assertThat(rhone("show-app", "--app", "old-pr").exit()).isZero();
        Run update = rhone("update-app", "--app", "old-pr", "--branch", "next");
        assertThat(update.exit()).as(update.stderr()).isZero();
    }

    @Test
    void updateApp_changesThePullRequestSettings_reportsEachChange_andRefusesBadValues() throws Exception {
        App app = fx.app(fx.team("acme"), "web");
        Run both = rhone("update-app", "--app", "web", "--fork-pull-requests", "never",
                "--pull-request-secrets", "on");
        assertThat(both.exit()).as(both.stderr()).isZero();
        assertThat(both.stdout()).containsExactly("updated app web:", "  fork pull requests: approve -> never",
                "  pull request env vars: off -> on");
        App changed = jdbi.onDemand(AppDao.class).findById(app.id()).orElseThrow();
        assertThat(changed.forkPolicy()).isEqualTo(App.ForkPolicy.NEVER);
        assertThat(changed.pullRequestSecrets()).isTrue();
        assertThat(changed.branch()).isEqualTo(app.branch());
        assertThat(changed.gitUrl()).isEqualTo(app.gitUrl());

        Run same = rhone("update-app", "--app", "web", "--fork-pull-requests", "never",
                "--pull-request-secrets", "on");
        assertThat(same.exit()).as(same.stderr()).isZero();
        assertThat(same.stdout()).containsExactly("app web already has these settings; nothing changed");

        Run one = rhone("update-app", "--app", "web", "--pull-request-secrets", "off");
        assertThat(one.stdout()).containsExactly("updated app web:", "  pull request env vars: on -> off");

        assertError(rhone("update-app", "--app", "web", "--fork-pull-requests", "ALWAYS"),
                "--fork-pull-requests must be approve, never or always");
        assertError(rhone("update-app", "--app", "web", "--pull-request-secrets", "true", "--branch", "next"),
                "--pull-request-secrets must be on or off");
        Run nothing = rhone("update-app", "--app", "web");
        assertError(nothing, "nothing to change");
        assertThat(nothing.stderr()).contains("--fork-pull-requests").contains("--pull-request-secrets");
        App after = jdbi.onDemand(AppDao.class).findById(app.id()).orElseThrow();
        assertThat(after.forkPolicy()).isEqualTo(App.ForkPolicy.NEVER);
        assertThat(after.pullRequestSecrets()).isFalse();
        assertThat(after.branch()).isEqualTo("main");
    }

    @Test
    void dbMigrate_appliesTheSchemaOnce_andCommandsRespectMigrateOnStartFalse() throws Exception {
        db = TestPostgres.emptyDatabase();
        jdbi = TestPostgres.jdbi(db);
        Run noSchema = rhone(List.of("-Ddw.database.url=" + db.jdbcUrl(), "-Ddw.database.user=" + db.user(),
                "-Ddw.database.password=" + db.password(), "-Ddw.database.migrateOnStart=false",
                "-Ddw.dataDir=" + dir.resolve("data")), "create-team", "--slug", "acme", "--name", "Acme");
        assertThat(noSchema.exit()).isNotZero();

        Run first = rhone("db", "migrate");
        assertThat(first.exit()).as(first.stderr()).isZero();
        // Versions may have gaps (branches take numbers in parallel): the newest and the count differ then.
        List<Integer> versions;
        try (var files = Files.list(Path.of("db/migration"))) {
            versions = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).toList();
        }
        assertThat(first.lastLine()).isEqualTo("schema migrated to version " + java.util.Collections.max(versions)
                + " (" + versions.size() + " migrations applied)");
        assertThat(rhone("db", "migrate").lastLine()).isEqualTo("schema is up to date");
        assertThat(new Fixtures(jdbi).count("deployments")).isZero();
    }

    @Test
    void addMemberAndLoginLink_theLinkIsTheLastLine_andSignsInOnce() throws Exception {
        fx.team("acme");
        Run added = rhone("add-member", "--team", "acme", "--user", "octocat");
        assertThat(added.exit()).as(added.stderr()).isZero();
        assertThat(added.lastLine()).isEqualTo("octocat is now a member of acme");
        assertThat(rhone("add-member", "--team", "acme", "--user", "octocat").lastLine())
                .isEqualTo("octocat was already a member of acme");
        assertError(rhone("add-member", "--team", "acme", "--user", "bad--login"), "--user");
        assertError(rhone("add-member", "--team", "nobody", "--user", "octocat"), "--team");
        assertError(rhone("login-link", "--user", "stranger"), "--user");

        Run link = rhone("login-link", "--user", "octocat");
        assertThat(link.exit()).as(link.stderr()).isZero();
        assertThat(link.lastLine()).matches("http://localhost:8080/login/link#[A-Za-z0-9_-]{43}");
        String token = link.lastLine().substring(link.lastLine().lastIndexOf('#') + 1);
        var sessions = new com.vangoframework.rhone.web.Sessions(jdbi, java.time.Clock.systemUTC());
        assertThat(sessions.useLoginLink(token)).isPresent();
        assertThat(sessions.useLoginLink(token)).as("a link works once").isEmpty();
        assertThat(fx.count("users")).isEqualTo(1);
        assertThat(fx.count("team_members")).isEqualTo(1);
    }

    @Test
    void noConfigurationFileArgument_usesTheBundledConfigYml() throws Exception {
        Run run = exec(serverDatabase(), List.of("create-team", "--slug", "acme", "--name", "Acme"));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lastLine()).startsWith("created team acme");
        assertThat(fx.count("teams")).isEqualTo(1);
    }

    @Test
    void missingOrBrokenConfigurationFile_isOneLineSayingWhatToDo_noStackTrace() throws Exception {
        Run missing = exec(serverDatabase(), List.of("create-team", "--slug", "acme", "--name", "Acme",
                dir.resolve("nope.yml").toString()));
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.stderr().strip()).isEqualTo("error: File " + dir.resolve("nope.yml")
                + " not found: give the path of a configuration file (e.g. config.yml), or none to use the bundled "
                + "config.yml");
        Path broken = Files.writeString(dir.resolve("broken.yml"), "builds:\n  maxConcurrent: many\n");
        for (String command : List.of("create-team", "server", "db")) {
            List<String> args = new ArrayList<>(List.of(command));
            if (command.equals("create-team")) {
                args.addAll(List.of("--slug", "acme", "--name", "Acme"));
            } else if (command.equals("db")) {
                args.add("migrate");
            }
            args.add(broken.toString());
            Run run = exec(serverDatabase(), args);
            assertThat(run.exit()).as(command).isNotZero();
            assertThat(run.stderr().strip()).as(command).startsWith("error: " + broken + " has an error:")
                    .contains("builds.maxConcurrent").doesNotContain("\n").doesNotContain("\tat ");
        }
        assertThat(fx.count("teams")).isZero();
    }

    @Test
    void unknownCommand_listsTheCommands_andExitsNonZero() throws Exception {
        Run run = exec(List.of(), List.of("deploy-everything"));
        assertThat(run.exit()).isNotZero();
        assertThat(run.stderr()).contains("invalid choice: 'deploy-everything'")
                .contains("server", "create-team", "create-app", "create-token", "login-link", "db");
    }

    @Test
    void gitUrlWithAnUnsupportedScheme_namesTheSchemesThatWork() throws Exception {
        fx.team("acme");
        Run run = rhone("create-app", "--team", "acme", "--slug", "web", "--git-url", "ssh://git@x.test/r.git",
                "--branch", "main");
        assertError(run, "--git-url");
        assertThat(run.stderr()).contains("https://, http:// or file:// URL").contains("file:///path/to/repo");
        assertThat(fx.count("apps")).isZero();
    }

    @Test
    void missingRequiredArgument_isRefusedByTheParser() throws Exception {
        Run run = rhone("create-team", "--slug", "acme");
        assertThat(run.exit()).isNotZero();
        assertThat(run.stderr()).contains("--name");
        assertThat(fx.count("teams")).isZero();
    }

    @Test
    void commandsJoinTheRunningServersEmbeddedDatabase_andDataSurvivesRestarts() throws Exception {
        Path data = dir.resolve("embedded");
        List<String> embedded = List.of("-Ddw.dataDir=" + data, "-Ddw.server.applicationConnectors[0].port=0",
                "-Ddw.server.adminConnectors[0].port=0");
        Path serverLog = dir.resolve("server.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        command.addAll(embedded);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RhoneApplication.class.getName(),
                "server", Path.of("config.yml").toAbsolutePath().toString()));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(serverLog.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.readString(serverLog).contains("Started oejs.Server"));
            Run team = rhone(embedded, "create-team", "--slug", "acme", "--name", "Acme");
            assertThat(team.exit()).as(team.stderr()).isZero();
            assertThat(team.stderr() + String.join("\n", team.stdout())).doesNotContain("Started the embedded");
            String published = Files.readString(data.resolve("embedded-postgres.properties"));
            assertThat(published).contains("pid=" + server.pid()).contains("role=SERVER");
            // Other local users get nowhere without the password file (initdb's trust is gone).
            String port = published.lines().filter(l -> l.startsWith("port=")).findFirst().orElseThrow().substring(5);
            assertThatThrownBy(() -> java.sql.DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "").close())
                    .isInstanceOf(java.sql.SQLException.class);
            assertThat(Files.getPosixFilePermissions(data.resolve("postgres.password")))
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        } finally {
            server.destroy(); // SIGTERM: a normal stop that also stops its PostgreSQL
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        // The server is gone; a command now starts the embedded database itself and finds the team.
        Run again = rhone(embedded, "create-team", "--slug", "acme", "--name", "Acme");
        assertThat(again.exit()).isNotZero();
        assertThat(again.stderr()).contains("already exists");
        assertThat(Files.exists(data.resolve("embedded-postgres.properties"))).isFalse();
    }

    private static void assertError(Run run, String field) {
        assertThat(run.exit()).as("exit status").isNotZero();
        String[] lines = run.stderr().strip().split("\n");
        assertThat(lines[lines.length - 1]).startsWith("error: ").contains(field);
    }
}
