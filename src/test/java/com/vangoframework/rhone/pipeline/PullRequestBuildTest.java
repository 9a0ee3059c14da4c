package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull-request builds on the real engine and registry: the app's env var is a BuildKit secret a
 * branch build can read and a pull request's build cannot (unless the app opts in, and never from
 * a fork), and the image goes to {@code <app>-pr}, leaving the app's own repository as it was.
 */
@NeedsDocker
class PullRequestBuildTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final SecretBox BOX = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));

    @TempDir
    static Path dir;

    static GitServer git;
    static TestService service;
    static Jdbi jdbi;
    static Fixtures fx;
    static Team team;
    static DeploymentService deployments;
    static LogStore logs;
    static ScheduledExecutorService logFlusher;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        team = fx.team("prs");
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN);
        service = new TestService(db, dir.resolve("data"), null, app -> Optional.of(TOKEN),
                io.dropwizard.testing.ConfigOverride.config("builder.registry", REGISTRY)).start();
        deployments = new DeploymentService(jdbi);
        logFlusher = NamedThreads.scheduled("rhone-log-flusher");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    @AfterAll
    static void stop() throws Exception {
        service.stop();
        NamedThreads.stopNow(logFlusher, Duration.ofSeconds(5));
        git.close();
    }

    record Repo(App app, String sha, String value) {
    }

    /**
     * An app whose Dockerfile reports whether the DATABASE_URL secret reached its RUN step. The
     * marker is unique, so no step is a cache hit from another test; the secrets-hash ARG makes
     * builds with and without the secret different steps.
     */
    private static Repo repo() throws Exception {
        String name = "pr-" + UUID.randomUUID().toString().substring(0, 8);
        String sha;
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            sha = repo.commit("first", Map.of("Dockerfile", "FROM local/busybox:1\nARG secrets-hash\n"
                    + "RUN --mount=type=secret,id=DATABASE_URL,required=false echo \"" + name + " secret: "
                    + "$(test -f /run/secrets/DATABASE_URL && echo HAS || echo NO-SECRET)\"\n"));
        }
        App app = fx.gitApp(team, name, git.url(name), 600);
        String value = "postgres://u:hunter2-" + name + "@db/x";
        jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "DATABASE_URL", BOX.encrypt(app.id(), "DATABASE_URL", value));
        return new Repo(app, sha, value);
    }

    private static Deployment request(Repo r, DeploymentTrigger trigger, Integer number, boolean fromFork) {
        Deployment d = jdbi.inTransaction(h -> {
            Deployment row = DeploymentService.insert(h, new NewDeployment(r.app().id(), trigger,
                    number == null ? "main" : "feature-" + number, r.sha(), null, null, number, null));
            h.execute("UPDATE deployments SET from_fork = ? WHERE id = ?", fromFork, row.id());
            h.execute("SELECT pg_notify('rhone_queue', '')"); // delivered on commit
            return row;
        });
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + logs.read(d.id())).isEqualTo(DeploymentStatus.BUILT);
        return done;
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + REGISTRY + "/v2/" + path))
                .header("Accept", "application/vnd.docker.distribution.manifest.v2+json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String tags(String repository) throws Exception {
        HttpResponse<String> list = get(repository + "/tags/list");
        return list.statusCode() + " " + list.body();
    }

    @Test
    void forkPullRequest_seesNoSecret_andPushesToThePrRepository_leavingTheAppsTagsAlone() throws Exception {
        Repo r = repo();
        String name = r.app().slug();
        jdbi.useHandle(h -> h.execute("UPDATE apps SET pull_request_secrets = true WHERE id = ?", r.app().id()));
        Deployment branch = request(r, DeploymentTrigger.PUSH, null, false);
        assertThat(logs.read(branch.id())).contains(name + " secret: HAS").doesNotContain("hunter2");
        String appTags = tags(name);
        assertThat(appTags).startsWith("200 ").contains(r.sha().substring(0, 12));

        Deployment pr = request(r, DeploymentTrigger.PULL_REQUEST, 41, true);
        String log = logs.read(pr.id());
        assertThat(log).contains(name + " secret: NO-SECRET").doesNotContain(name + " secret: HAS")
                .contains("Pull request build from a fork: the app's env vars are not passed");
        String tag = "pr-41-" + r.sha().substring(0, 12);
        assertThat(pr.imageTag()).isEqualTo(REGISTRY + "/" + name + "-pr:" + tag);
        assertThat(tags(name + "-pr")).startsWith("200 ").contains("\"" + tag + "\"");
        HttpResponse<String> manifest = get(name + "-pr/manifests/" + tag);
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue("Docker-Content-Digest")).contains(pr.imageDigest());
        assertThat(tags(name)).isEqualTo(appTags);
    }

    @Test
    void sameRepositoryPullRequest_seesTheSecretOnlyWithPullRequestSecretsOn() throws Exception {
        Repo off = repo();
        Deployment without = request(off, DeploymentTrigger.PULL_REQUEST, 7, false);
        assertThat(logs.read(without.id())).contains(off.app().slug() + " secret: NO-SECRET")
                .contains("Pull request build: the app's env vars are not passed (pull_request_secrets is off)");
        assertThat(tags(off.app().slug())).startsWith("404 ");

        Repo on = repo();
        jdbi.useHandle(h -> h.execute("UPDATE apps SET pull_request_secrets = true WHERE id = ?", on.app().id()));
        Deployment with = request(on, DeploymentTrigger.PULL_REQUEST, 8, false);
        assertThat(logs.read(with.id())).contains(on.app().slug() + " secret: HAS")
                .contains("Pull request build: the app's env vars are passed (pull_request_secrets is on)")
                .doesNotContain("hunter2");
        assertThat(with.imageTag()).isEqualTo(REGISTRY + "/" + on.app().slug() + "-pr:pr-8-" + on.sha().substring(0, 12));
        assertThat(tags(on.app().slug())).startsWith("404 ");
    }
}
