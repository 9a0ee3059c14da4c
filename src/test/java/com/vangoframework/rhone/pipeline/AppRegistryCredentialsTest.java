package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.RegistryCredentialsDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.HtpasswdRegistry;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that demands a password (Debian's docker-registry with an htpasswd file, started
 * here on a free port), no global credentials, and one app with its own: that app's build pushes,
 * and another app's build cannot pull {@code FROM <registry>/<that app>}, because all it carries
 * is an empty DOCKER_CONFIG.
 */
@NeedsDocker
class AppRegistryCredentialsTest {

    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String USER = "user-a";
    static final String PASSWORD = "pw-a-" + UUID.randomUUID();

    @TempDir
    static Path dir;

    static HtpasswdRegistry registryServer;
    static String registry;
    static GitServer git;
    static TestService service;
    static Jdbi jdbi;
    static Fixtures fx;
    static Team team;
    static LogStore logs;
    static ScheduledExecutorService logFlusher;

    @BeforeAll
    static void start() throws Exception {
        registryServer = new HtpasswdRegistry(dir.resolve("registry"), USER, PASSWORD);
        registry = registryServer.name();

        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        team = fx.team("creds");
        git = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN);
        // No global credentials: RHONE_REGISTRY_USER and FLY_API_TOKEN stay empty.
        service = new TestService(db, dir.resolve("data"), null, app -> Optional.of(TOKEN),
                io.dropwizard.testing.ConfigOverride.config("builder.registry", registry)).start();
        logFlusher = NamedThreads.scheduled("rhone-log-flusher");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), logFlusher);
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.stop();
        }
        if (logFlusher != null) {
            NamedThreads.stopNow(logFlusher, Duration.ofSeconds(5));
        }
        if (git != null) {
            git.close();
        }
        if (registryServer != null) {
            registryServer.close();
        }
    }

    private static HttpResponse<String> get(String path, boolean authenticated) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + registry + "/v2/" + path))
                .header("Accept", "application/vnd.docker.distribution.manifest.v2+json");
        if (authenticated) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String commit(String name, String dockerfile) throws Exception {
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            return repo.commit("build " + name, Map.of("Dockerfile", dockerfile));
        }
    }

    private static Deployment deployAndWait(App app, DeploymentStatus expected) {
        Deployment d = new DeploymentService(jdbi).request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + logs.read(d.id())).isEqualTo(expected);
        return done;
    }

    @Test
    void appWithItsOwnCredentials_pushes_andAnotherAppWithoutAnyCannotPullFromIt() throws Exception {
        String a = "a-" + UUID.randomUUID().toString().substring(0, 8);
        String sha = commit(a, "FROM local/busybox:1\nRUN echo " + a + " > /a\n");
        App appA = fx.gitApp(team, a, git.url(a), 600);
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        jdbi.onDemand(RegistryCredentialsDao.class).upsert(appA.id(), USER, box.encryptRegistryPassword(appA.id(), PASSWORD));

        Deployment builtA = deployAndWait(appA, DeploymentStatus.BUILT);
        String image = registry + "/" + a + ":" + sha.substring(0, 12);
        assertThat(builtA.imageTag()).isEqualTo(image);
        assertThat(get(a + "/tags/list", true).body()).contains(sha.substring(0, 12));
        assertThat(get(a + "/tags/list", false).statusCode()).isEqualTo(401);
        assertThat(logs.read(builtA.id())).contains("Registry: app " + a + "'s own credentials (user " + USER + ")")
                .doesNotContain(PASSWORD);
        // The engine's own copy would satisfy FROM without asking the registry: make sure it is gone.
        new ProcessBuilder("/usr/bin/docker", "image", "rm", "--force", image).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);

        String b = "b-" + UUID.randomUUID().toString().substring(0, 8);
        commit(b, "FROM " + image + "\nRUN cat /a\n");
        Deployment failedB = deployAndWait(fx.gitApp(team, b, git.url(b), 600), DeploymentStatus.BUILD_FAILED);
        // e.g. "pulling from host 127.0.0.1:N failed with status code [manifests <sha12>]: 401 Unauthorized"
        assertThat(failedB.errorMessage()).contains("pulling from host " + registry).contains(sha.substring(0, 12))
                .contains("401 Unauthorized");
        assertThat(logs.read(failedB.id())).contains("Registry: no credentials")
                .doesNotContain(PASSWORD);
        assertThat(get(b + "/tags/list", true).statusCode()).isEqualTo(404);

        // The same FROM in a build of A itself works: what B lacked was A's credentials.
        String sha2;
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(a))) {
            sha2 = repo.commit("from itself", Map.of("Dockerfile", "FROM " + image + "\nRUN cat /a\n"));
        }
        Deployment againA = deployAndWait(appA, DeploymentStatus.BUILT);
        assertThat(againA.commitSha()).isEqualTo(sha2);
    }
}
