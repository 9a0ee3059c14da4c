package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.EmbeddedPostgresHost;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a build can reach, for real: a running rhone on its own embedded PostgreSQL (started the
 * way the service starts it), the local Docker engine and registry. A {@code RUN} step reaches
 * the host through the Docker bridge's gateway; the admin port and the database must not answer
 * there, while the public port (bound to every interface) shows that the path itself works.
 */
@NeedsDocker
class BuildReachTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    /**
     * Each of the three ports, tried from the step through the default route's gateway (the
     * host's docker0 address); busybox's nc exits non-zero when the connection is refused.
     */
    private static String probeDockerfile(String marker, int app, int admin, int database) {
        return "FROM local/busybox:1\n"
                + "RUN echo " + marker + "; gw=$(ip route | awk '/^default/ {print $3}'); echo \"gateway $gw\"; "
                + "for target in app:" + app + " admin:" + admin + " database:" + database + "; do "
                + "name=${target%%:*}; port=${target#*:}; "
                + "if printf 'GET /ping HTTP/1.0\\r\\n\\r\\n' | nc -w 3 \"$gw\" \"$port\" >/dev/null 2>&1; "
                + "then echo \"reach-$name=open\"; else echo \"reach-$name=closed\"; fi; done\n";
    }

    @Test
    void runStep_cannotReachTheAdminPortOrTheEmbeddedDatabase_throughTheBridgeGateway() throws Exception {
        try (EmbeddedPostgresHost pg = EmbeddedPostgresHost.open(dir.resolve("pg"), EmbeddedPostgresHost.Role.SERVER);
             GitServer git = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN)) {
            Database.migrate(pg.target());
            TestService service = new TestService(pg.target(), dir.resolve("data"), null, app -> Optional.of(TOKEN),
                    ConfigOverride.config("builder.registry", REGISTRY)).start();
            try {
                int appPort = URI.create(service.url()).getPort();
                int adminPort = URI.create(service.adminUrl()).getPort();
                int pgPort = Integer.parseInt(pg.target().jdbcUrl().replaceAll("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1"));
                String name = "reach-" + UUID.randomUUID().toString().substring(0, 8);
                try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
                    repo.commit("probe", Map.of("Dockerfile", probeDockerfile(name, appPort, adminPort, pgPort)));
                }
                Jdbi jdbi = TestPostgres.jdbi(pg.target());
                Fixtures fx = new Fixtures(jdbi);
                App app = fx.gitApp(fx.team("reach"), name, git.url(name), 300);
                Deployment d = new DeploymentService(jdbi).request(NewDeployment.manual(app.id(), "main", null));
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> fx.reload(d).status().isBuildFinished());
                LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES,
                        Clock.systemUTC(), threads.scheduled("rhone-log-flusher"));
                String log = logs.read(d.id());
                assertThat(fx.reload(d).status()).as(log).isEqualTo(DeploymentStatus.BUILT);
                // The path works: the public port, bound to every interface, answers through the gateway...
                assertThat(log).as(log).contains("gateway 172.").contains("reach-app=open")
                        // ...and the admin port (127.0.0.1 by default) and the embedded database do not.
                        .contains("reach-admin=closed").contains("reach-database=closed")
                        .doesNotContain("reach-admin=open").doesNotContain("reach-database=open");
            } finally {
                service.stop();
            }
        }
    }

    @Test
    void dockerBuild_neverSeesTheServiceUsersDockerConfig_onlyTheBuildsOwnHome() throws Exception {
        // The service user's ~/.docker/config.json sets a proxy; docker hands proxies from there
        // to every RUN step as HTTP_PROXY, which makes the file's use visible from inside a build.
        Path serviceHome = dir.resolve("service-home");
        writeProxyConfig(serviceHome, "http://service-user-proxy.invalid:3128");
        ProcessRunner runner = new ProcessRunner(dir.resolve("idle-home"),
                Map.of("PATH", System.getenv("PATH"), "HOME", serviceHome.toString(), "XDG_RUNTIME_DIR", "/run/user/0"));
        DockerImageBuilder docker = new DockerImageBuilder("/usr/bin/docker", "unused", new RegistryAuth(REGISTRY, "", ""),
                runner);

        String leaked = build(docker, Files.createDirectories(dir.resolve("work-1")));
        assertThat(leaked).as(leaked).contains("proxy=[]").doesNotContain("service-user-proxy");

        // The same file in the build's own home is read: the check above can fail.
        Path work = Files.createDirectories(dir.resolve("work-2"));
        writeProxyConfig(ProcessRunner.homeIn(work), "http://builds-own-proxy.invalid:3128");
        String own = build(docker, work);
        assertThat(own).as(own).contains("proxy=[http://builds-own-proxy.invalid:3128]");
    }

    private static void writeProxyConfig(Path home, String proxy) throws Exception {
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"),
                "{\"proxies\":{\"default\":{\"httpProxy\":\"" + proxy + "\"}}}");
    }

    private String build(DockerImageBuilder docker, Path work) throws Exception {
        String marker = UUID.randomUUID().toString().substring(0, 8);
        Path src = Files.createDirectories(work.resolve("src"));
        // The marker keeps BuildKit from answering from its cache (proxy args are not part of the key).
        Files.writeString(src.resolve("Dockerfile"), "FROM local/busybox:1\nRUN echo \"" + marker
                + " proxy=[$HTTP_PROXY]\"\n");
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            docker.build(new ImageBuilder.Request(BuildPlan.dockerfile(src), REGISTRY + "/reach-home:" + marker,
                    REGISTRY + "/reach-home:buildcache", Map.of(), "0".repeat(64), work, Duration.ofMinutes(2)),
                    log, step.ctx, () -> { });
        }
        return step.storedLog();
    }
}
