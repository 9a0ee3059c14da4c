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
import com.vangoframework.rhone.testing.DockerCli;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a build can reach, for real: a running rhone on its own embedded PostgreSQL (started the
 * way the service starts it), the local Docker engine and registry. A {@code RUN} step reaches
 * the host through the Docker bridge's gateway; with the default bind the admin port and the
 * database do not answer there, while the public port (bound to every interface) shows that the
 * path itself works. A service whose admin port binds every interface is reachable the same way,
 * so the check can fail.
 */
@NeedsDocker
class BuildReachTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");
    static final String TOKEN = "ghs_" + UUID.randomUUID().toString().replace("-", "");

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    static Path shared;

    static EmbeddedPostgresHost pg;
    static GitServer git;
    static Jdbi jdbi;
    static Fixtures fx;
    /** The address of the host as a container on the default bridge sees it (docker0's address). */
    static String gateway;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        gateway = DockerCli.check(Duration.ofSeconds(20), "network", "inspect", "bridge", "--format",
                "{{range .IPAM.Config}}{{.Gateway}}{{end}}").strip();
        if (gateway.isEmpty()) {
            // Docker leaves the default bridge's IPAM gateway unset unless configured: the gateway
            // is then the bridge interface's own address on the host.
            gateway = java.util.Collections.list(java.net.NetworkInterface.getByName("docker0").getInetAddresses())
                    .stream().filter(a -> a instanceof java.net.Inet4Address).map(java.net.InetAddress::getHostAddress)
                    .findFirst().orElse("");
        }
        assertThat(gateway).as("the bridge network's gateway").matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        pg = EmbeddedPostgresHost.open(shared.resolve("pg"), EmbeddedPostgresHost.Role.SERVER);
        Database.migrate(pg.target());
        jdbi = TestPostgres.jdbi(pg.target());
        fx = new Fixtures(jdbi);
        git = new GitServer(Files.createDirectories(shared.resolve("repos")), TOKEN);
    }

    @AfterAll
    static void stop() throws Exception {
        if (git != null) {
            git.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /**
     * Each port, tried from the step at the gateway; busybox's nc exits non-zero when the
     * connection is refused or times out. The shell runs inside the build container, not in Rhone.
     */
    private static String probeDockerfile(String marker, int app, int admin, int database) {
        return "FROM local/busybox:1\n"
                + "RUN echo " + marker + "; "
                + "for target in app:" + app + " admin:" + admin + " database:" + database + "; do "
                + "name=${target%%:*}; port=${target#*:}; "
                + "if nc -w 3 " + gateway + " \"$port\" </dev/null >/dev/null 2>&1; "
                + "then echo \"$name-reachable\"; else echo \"$name-unreachable\"; fi; done\n";
    }

    /** Builds the probe through a service started with {@code extra}; returns the stored log. */
    private String probeThrough(ConfigOverride... extra) throws Exception {
        List<ConfigOverride> overrides = new java.util.ArrayList<>(List.of(ConfigOverride.config("builder.registry", REGISTRY)));
        overrides.addAll(List.of(extra));
        String name = "reach-" + UUID.randomUUID().toString().substring(0, 8);
        TestService service = new TestService(pg.target(), dir.resolve("data"), null, app -> Optional.of(TOKEN),
                overrides.toArray(ConfigOverride[]::new)).start();
        try {
            int appPort = URI.create(service.url()).getPort();
            int adminPort = URI.create(service.adminUrl()).getPort();
            int pgPort = Integer.parseInt(pg.target().jdbcUrl().replaceAll("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1"));
            try (TestRepo repo = new TestRepo(shared.resolve("repos").resolve(name))) {
                repo.commit("probe", Map.of("Dockerfile", probeDockerfile(name, appPort, adminPort, pgPort)));
            }
            App app = fx.gitApp(fx.team(name), name, git.url(name), 300);
            Deployment d = new DeploymentService(jdbi).request(NewDeployment.manual(app.id(), "main", null));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> fx.reload(d).status().isBuildFinished());
            LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES,
                    Clock.systemUTC(), threads.scheduled("rhone-log-flusher"));
            String log = logs.read(d.id());
            assertThat(fx.reload(d).status()).as(log).isEqualTo(DeploymentStatus.BUILT);
            // The path works: the public port, bound to every interface, answers at the gateway.
            assertThat(log).as(log).contains("app-reachable").contains("database-unreachable");
            return log;
        } finally {
            service.stop();
        }
    }

    @Test
    void runStep_cannotReachTheAdminPortOrTheEmbeddedDatabase_withTheDefaultBind() throws Exception {
        String log = probeThrough();
        assertThat(log).as(log).contains("admin-unreachable").doesNotContain("admin-reachable");
    }

    @Test
    void runStep_reachesTheAdminPort_whenItBindsEveryInterface() throws Exception {
        String log = probeThrough(ConfigOverride.config("server.adminConnectors[0].bindHost", "0.0.0.0"));
        assertThat(log).as(log).contains("admin-reachable").doesNotContain("admin-unreachable");
    }

    @Test
    void dockerBuild_neverUsesTheServiceUsersDockerConfig() throws Exception {
        // The service user's ~/.docker/config.json sets a proxy; the docker CLI hands proxies from
        // the config it uses to every RUN step as HTTP_PROXY, which makes its use visible inside.
        Path serviceHome = dir.resolve("service-home");
        Files.createDirectories(serviceHome.resolve(".docker"));
        Files.writeString(serviceHome.resolve(".docker/config.json"),
                "{\"proxies\":{\"default\":{\"httpProxy\":\"http://service-user-proxy.invalid:3128\"}}}");
        ProcessRunner runner = new ProcessRunner(dir.resolve("idle-home"), Map.of("PATH", System.getenv("PATH"),
                "HOME", serviceHome.toString(), "XDG_RUNTIME_DIR", "/run/user/0"));
        DockerImageBuilder docker = new DockerImageBuilder(DockerCli.BINARY, "unused", runner);

        Path work = Files.createDirectories(dir.resolve("work-1"));
        ImageBuilder.Request request = proxyProbe(work);
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            docker.build(request, log, step.ctx, () -> { });
        }
        String built = step.storedLog();
        assertThat(built).as(built).contains("proxy=[]").doesNotContain("service-user-proxy");

        // The control: the same build command given that config does show the proxy (the check can fail).
        Path work2 = Files.createDirectories(dir.resolve("work-2"));
        ImageBuilder.Request control = proxyProbe(work2);
        Map<String, String> env = new HashMap<>(Map.of("DOCKER_BUILDKIT", "1",
                "DOCKER_CONFIG", serviceHome.resolve(".docker").toString()));
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        int exit = runner.run(new ProcessRunner.Command(docker.buildCommand(control), control.plan().contextDir(),
                env, Duration.ofMinutes(2), ProcessRunner.homeIn(work2)), lines::add, new StepFixture(threads).ctx);
        assertThat(exit).as(String.join("\n", lines)).isZero();
        assertThat(lines).as(String.join("\n", lines))
                .anyMatch(line -> line.contains("proxy=[http://service-user-proxy.invalid:3128]"));
    }

    /** A build that prints the proxy its RUN step was given; a fresh marker keeps BuildKit's cache out. */
    private static ImageBuilder.Request proxyProbe(Path work) throws Exception {
        String marker = UUID.randomUUID().toString().substring(0, 8);
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM local/busybox:1\nRUN echo \"" + marker
                + " proxy=[$HTTP_PROXY]\"\n");
        return new ImageBuilder.Request(BuildPlan.dockerfile(src), REGISTRY + "/reach-home:" + marker,
                REGISTRY + "/reach-home:buildcache", false, Map.of(), "0".repeat(64), new RegistryAuth(REGISTRY, "", ""),
                work, Duration.ofMinutes(2));
    }
}
