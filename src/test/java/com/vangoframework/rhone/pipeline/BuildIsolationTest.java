package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppSecrets;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.RegistryCredentialsDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Contexts;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the real pipeline hands a build: which env vars, which registry credentials (as the
 * DOCKER_CONFIG the build client would read), which image tag. The builder here only records
 * the request; the real engine's side is in {@link ImagePipelineTest}.
 */
class BuildIsolationTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    static final String REGISTRY = "127.0.0.1:1"; // nothing listens: the size measurement gives up at once
    final RegistryAuth global = new RegistryAuth(REGISTRY, "global-user", "global-password-value");
    final SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));

    Jdbi jdbi;
    Fixtures fx;
    Team team;
    LogStore logs;
    AppSecrets secrets;
    Recorder recorder;
    ImagePipeline pipeline;
    String sha; // of the last repository made


    /** What the builder was asked, and the DOCKER_CONFIG it wrote, read before the work dir goes. */
    static final class Recorder implements ImageBuilder {
        ImageBuilder.Request request;
        String dockerConfig;

        @Override
        public Image build(Request r, BuildLog log, BuildContext ctx, PushingListener onPushing) {
            request = r;
            try {
                dockerConfig = Files.readString(r.auth().writeDockerConfig(r.workDir()).resolve("config.json"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            log.line("client said: login with " + r.auth().password()); // the log must mask it
            return new Image(r.imageTag(), "sha256:" + "0".repeat(64));
        }

        @Override
        public String describe() {
            return "recorder";
        }
    }

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        fx = new Fixtures(jdbi);
        team = fx.team("acme");
        logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
        secrets = new AppSecrets(jdbi.onDemand(EnvVarDao.class), jdbi.onDemand(RegistryCredentialsDao.class), box);
        recorder = new Recorder();
        pipeline = new ImagePipeline(new GitCheckout(RepoCredentials.NONE, "https://github.com", Duration.ofSeconds(30)),
                new RailpackAnalyzer(dir.resolve("no-railpack").toString(), new ProcessRunner(dir.resolve("idle-home")), new ObjectMapper(),
                        Duration.ofSeconds(5)),
                recorder, secrets, logs, global, dir.resolve("work"), new RegistryImageSize(global, Duration.ofSeconds(2)));
    }

    private App app(String slug) throws Exception {
        Path repo = dir.resolve("repos").resolve(slug);
        try (TestRepo r = new TestRepo(repo)) {
            sha = r.commit("first", Map.of("Dockerfile", "FROM local/busybox:1\n"));
        }
        App app = fx.gitApp(team, slug, repo.toUri().toString().replace("file:/", "file:///"), 600);
        jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "DATABASE_URL",
                box.encrypt(app.id(), "DATABASE_URL", "postgres://u:hunter2-" + slug + "@db/x"));
        return app;
    }

    private Deployment build(App app, NewDeployment request) throws Exception {
        Deployment d = jdbi.withHandle(h -> DeploymentService.insert(h, request));
        return build(app, d);
    }

    private Deployment build(App app, Deployment d) throws Exception {
        BuildContext ctx = Contexts.claimed(jdbi, app, d);
        var result = pipeline.build(ctx);
        ctx.awaitWrites();
        assertThat(result.imageTag()).isEqualTo(recorder.request.imageTag());
        // Finished, as the queue would record it, so the app's next deployment can be claimed.
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'built', build_finished_at = now(), "
                + "image_tag = ?, lease_owner = NULL WHERE id = ?", result.imageTag(), d.id()));
        return fx.reload(d);
    }

    private static String onlyAuth(String dockerConfig) throws Exception {
        JsonNode auths = new ObjectMapper().readTree(dockerConfig).get("auths");
        assertThat(auths.size()).as(dockerConfig).isEqualTo(1);
        return new String(Base64.getDecoder().decode(auths.get(REGISTRY).get("auth").asText()), StandardCharsets.UTF_8);
    }

    private static String base64(String userAndPassword) {
        return Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void appWithItsOwnCredentials_carriesOnlyThose_andAnAppWithoutAnyTheGlobalOnes() throws Exception {
        App a = app("a");
        App b = app("b");
        App c = app("c");
        RegistryCredentialsDao credentials = jdbi.onDemand(RegistryCredentialsDao.class);
        credentials.upsert(a.id(), "user-a", box.encryptRegistryPassword(a.id(), "pass-of-a-123"));
        credentials.upsert(b.id(), "user-b", box.encryptRegistryPassword(b.id(), "pass-of-b-456"));

        Deployment builtA = build(a, NewDeployment.manual(a.id(), "main", null));
        assertThat(onlyAuth(recorder.dockerConfig)).isEqualTo("user-a:pass-of-a-123");
        assertThat(recorder.dockerConfig).doesNotContain(base64("global-user:global-password-value"))
                .doesNotContain(base64("user-b:pass-of-b-456"));
        String logA = logs.read(builtA.id());
        assertThat(logA).contains("Registry: app a's own credentials (user user-a)")
                .contains("client said: login with ****").doesNotContain("pass-of-a-123");

        build(b, NewDeployment.manual(b.id(), "main", null));
        assertThat(onlyAuth(recorder.dockerConfig)).isEqualTo("user-b:pass-of-b-456");

        Deployment builtC = build(c, NewDeployment.manual(c.id(), "main", null));
        assertThat(onlyAuth(recorder.dockerConfig)).isEqualTo("global-user:global-password-value");
        assertThat(logs.read(builtC.id())).contains("Registry: the builder's credentials (user global-user)")
                .doesNotContain("global-password-value");
    }

    @Test
    void pullRequestBuild_getsNoEnvVars_theEmptySetsHash_andThePrRepository() throws Exception {
        App app = app("web");
        Deployment d = build(app, new NewDeployment(app.id(), DeploymentTrigger.PULL_REQUEST, "feature", sha, null,
                null, 7, null));
        assertThat(recorder.request.secrets()).isEmpty();
        assertThat(recorder.request.secretEnv()).isEmpty();
        assertThat(recorder.request.secretsHash()).isEqualTo(secrets.fingerprint(app.id(), Map.of()))
                .isNotEqualTo(secrets.fingerprint(app.id(), secrets.forApp(app.id())));
        assertThat(recorder.request.exportCache()).isFalse();
        assertThat(recorder.request.cacheRef()).isEqualTo(REGISTRY + "/web:buildcache");
        assertThat(d.imageTag()).isEqualTo(REGISTRY + "/web-pr:pr-7-" + d.shortSha());
        assertThat(logs.read(d.id()))
                .contains("Pull request build: the app's env vars are not passed (pull_request_secrets is off)")
                .doesNotContain("DATABASE_URL").doesNotContain("hunter2");
    }

    @Test
    void forkPullRequest_getsNoEnvVars_evenWhenTheAppOptsIn_butTheRepositorysOwnDoes() throws Exception {
        App app = app("web");
        jdbi.useHandle(h -> h.execute("UPDATE apps SET pull_request_secrets = true WHERE id = ?", app.id()));
        App optedIn = jdbi.onDemand(com.vangoframework.rhone.apps.AppDao.class).findBySlug("web").orElseThrow();

        Deployment fork = jdbi.withHandle(h -> DeploymentService.insert(h, new NewDeployment(app.id(),
                DeploymentTrigger.PULL_REQUEST, "patch-1", sha, null, null, 8, null)));
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET from_fork = true WHERE id = ?", fork.id()));
        Deployment forkBuilt = build(optedIn, fx.reload(fork));
        assertThat(recorder.request.secrets()).isEmpty();
        assertThat(recorder.request.secretsHash()).isEqualTo(secrets.fingerprint(app.id(), Map.of()));
        assertThat(logs.read(forkBuilt.id())).contains("from a fork: the app's env vars are not passed");

        Deployment own = build(optedIn, new NewDeployment(app.id(), DeploymentTrigger.PULL_REQUEST, "feature", sha,
                null, null, 9, null));
        assertThat(recorder.request.secrets()).containsOnlyKeys("DATABASE_URL");
        assertThat(own.imageTag()).startsWith(REGISTRY + "/web-pr:pr-9-");
        assertThat(logs.read(own.id())).contains("the app's env vars are passed (pull_request_secrets is on)");
    }
}
