package com.vangoframework.rhone;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.vangoframework.rhone.apps.ApiTokenAuthenticator;
import com.vangoframework.rhone.apps.ApiTokenDao;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.AppSecrets;
import com.vangoframework.rhone.apps.CreateAppCommand;
import com.vangoframework.rhone.apps.CreateTeamCommand;
import com.vangoframework.rhone.apps.CreateTokenCommand;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.ListTeamsCommand;
import com.vangoframework.rhone.apps.ListTokensCommand;
import com.vangoframework.rhone.apps.RevokeTokenCommand;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.SecretKeys;
import com.vangoframework.rhone.apps.SetEnvCommand;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.apps.TeamPrincipal;
import com.vangoframework.rhone.apps.UnsetEnvCommand;
import com.vangoframework.rhone.apps.UpdateAppCommand;
import com.vangoframework.rhone.cli.DbCommand;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.JdbiSetup;
import com.vangoframework.rhone.db.EmbeddedPostgresHost;
import com.vangoframework.rhone.deployments.AppOverviewDao;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.deployments.BuildQueue;
import com.vangoframework.rhone.deployments.DeleteAppCommand;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentEvents;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentsJdbiPlugin;
import com.vangoframework.rhone.deployments.ListAppsCommand;
import com.vangoframework.rhone.deployments.QueueHealthCheck;
import com.vangoframework.rhone.deployments.RequestStatements;
import com.vangoframework.rhone.deployments.ShowAppCommand;
import com.vangoframework.rhone.github.AppJwt;
import com.vangoframework.rhone.github.AppPrivateKey;
import com.vangoframework.rhone.github.CheckRunReporter;
import com.vangoframework.rhone.github.GitHubClients;
import com.vangoframework.rhone.github.GitHubConfiguration;
import com.vangoframework.rhone.github.GitHubDao;
import com.vangoframework.rhone.github.GitHubHealthCheck;
import com.vangoframework.rhone.github.GitHubOAuth;
import com.vangoframework.rhone.github.InstallationTokens;
import com.vangoframework.rhone.github.RedeliveryJob;
import com.vangoframework.rhone.github.WebhookHandler;
import com.vangoframework.rhone.github.WebhookRateLimiter;
import com.vangoframework.rhone.github.WebhookServlet;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.logs.LiveLogs;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogRetention;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.pipeline.BuildctlImageBuilder;
import com.vangoframework.rhone.pipeline.BuilderConfiguration;
import com.vangoframework.rhone.pipeline.BuilderHealthCheck;
import com.vangoframework.rhone.pipeline.DockerImageBuilder;
import com.vangoframework.rhone.pipeline.GitCheckout;
import com.vangoframework.rhone.pipeline.ImageBuilder;
import com.vangoframework.rhone.pipeline.ImagePipeline;
import com.vangoframework.rhone.pipeline.IsolatedGitConfig;
import com.vangoframework.rhone.pipeline.ProcessRunner;
import com.vangoframework.rhone.pipeline.RailpackAnalyzer;
import com.vangoframework.rhone.pipeline.RegistryHealthCheck;
import com.vangoframework.rhone.pipeline.RegistryImageSize;
import com.vangoframework.rhone.pipeline.RepoCredentials;
import com.vangoframework.rhone.web.AddMemberCommand;
import com.vangoframework.rhone.web.AppAccess;
import com.vangoframework.rhone.web.AppEventsFilter;
import com.vangoframework.rhone.web.AppGoneMapper;
import com.vangoframework.rhone.web.BearerTokenFilter;
import com.vangoframework.rhone.web.CommitLinks;
import com.vangoframework.rhone.web.DashboardConfiguration;
import com.vangoframework.rhone.web.DashboardDao;
import com.vangoframework.rhone.web.DashboardResource;
import com.vangoframework.rhone.web.DeployRateLimiter;
import com.vangoframework.rhone.web.DeploymentConflictMapper;
import com.vangoframework.rhone.web.ListMembersCommand;
import com.vangoframework.rhone.web.LiveApps;
import com.vangoframework.rhone.web.LogStreamFilter;
import com.vangoframework.rhone.web.LoginLinkCommand;
import com.vangoframework.rhone.web.ParamExceptionMapper;
import com.vangoframework.rhone.web.RemoveMemberCommand;
import com.vangoframework.rhone.web.SessionCookieFilter;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import com.vangoframework.rhone.web.SignInResource;
import com.vangoframework.rhone.web.Viewer;
import com.vangoframework.rhone.web.api.DeploymentResource;
import io.dropwizard.assets.AssetsBundle;
import io.dropwizard.auth.PolymorphicAuthDynamicFeature;
import io.dropwizard.auth.PolymorphicAuthValueFactoryProvider;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.lifecycle.Managed;
import io.dropwizard.lifecycle.ServerLifecycleListener;
import io.dropwizard.views.common.ViewBundle;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jakarta.ws.rs.container.ContainerRequestFilter;
import java.nio.file.Path;
import java.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.server.Server;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.LoggerFactory;

/** Wires the service together, once, in the order it starts. No container, just constructors. */
public class RhoneApplication extends Application<RhoneConfiguration> {

    /**
     * The features' JDBI plugins and every DAO of the service: the DAOs' metadata is built once on
     * the root Jdbi (see {@link Database#configure}), so no handle rebuilds it per statement.
     */
    public static final JdbiSetup JDBI = new JdbiSetup(List.of(new DeploymentsJdbiPlugin()), List.of(
            TeamDao.class, AppDao.class, EnvVarDao.class, ApiTokenDao.class, DeploymentDao.class,
            RequestStatements.class, AppOverviewDao.class, LogChunkDao.class, GitHubDao.class, SessionDao.class,
            DashboardDao.class));

    private InstallationTokens tokens; // created once by installationTokens(), shared

    public static void main(String[] args) throws Exception {
        new RhoneApplication().run(args);
    }

    @Override
    public String getName() {
        return "rhone";
    }

    @Override
    protected void addDefaultCommands(Bootstrap<RhoneConfiguration> bootstrap) {
        bootstrap.addCommand(new RhoneServerCommands.Server(this));
        bootstrap.addCommand(new RhoneServerCommands.Check(this));
    }

    @Override
    public void initialize(Bootstrap<RhoneConfiguration> bootstrap) {
        // No file argument: the bundled config.yml; every configured path made absolute once.
        bootstrap.setConfigurationFactoryFactory(new RhoneConfigurationFactory());
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addCommand(new DbCommand());
        bootstrap.addCommand(new CreateTeamCommand());
        bootstrap.addCommand(new CreateAppCommand());
        bootstrap.addCommand(new SetEnvCommand());
        bootstrap.addCommand(new UnsetEnvCommand());
        bootstrap.addCommand(new CreateTokenCommand());
        bootstrap.addCommand(new AddMemberCommand());
        bootstrap.addCommand(new LoginLinkCommand());
        bootstrap.addCommand(new ListTeamsCommand());
        bootstrap.addCommand(new ListAppsCommand());
        bootstrap.addCommand(new ShowAppCommand());
        bootstrap.addCommand(new UpdateAppCommand());
        bootstrap.addCommand(new DeleteAppCommand());
        bootstrap.addCommand(new ListTokensCommand());
        bootstrap.addCommand(new RevokeTokenCommand());
        bootstrap.addCommand(new ListMembersCommand());
        bootstrap.addCommand(new RemoveMemberCommand());
        // Freemarker pages (.ftlh: HTML auto-escaping on), and their scripts and styles as files
        // (no inline script, so a Content-Security-Policy can forbid it).
        bootstrap.addBundle(new ViewBundle<>());
        bootstrap.addBundle(new AssetsBundle("/assets", "/assets", null, "assets"));
    }

    @Override
    public void run(RhoneConfiguration config, Environment environment) {
        Clock clock = Clock.systemUTC();
        Path dataDir = Path.of(config.getDataDir());
        environment.getObjectMapper().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

        // 1. Database: embedded or configured; stopped last because it is managed first.
        Database database = Database.open(config.getDatabase(), dataDir, EmbeddedPostgresHost.Role.SERVER);
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                database.close();
            }
        });
        if (config.getDatabase().isMigrateOnStart()) {
            database.migrate();
        }
        // Fail at start, not at the first build, when the env var key is missing or malformed.
        SecretBox secretBox = SecretKeys.load(config.getSecretKey(), dataDir, database.isEmbedded());
        // One pool: JDBI uses it, and so does the webhook path's plain JDBC (WebhookHandler).
        DataSourceFactory dataSourceFactory = config.getDatabase().dataSourceFactory(database.target());
        ManagedDataSource dataSource = dataSourceFactory.build(environment.metrics(), "postgresql");
        Jdbi jdbi = Database.configure(new JdbiFactory().build(environment, dataSourceFactory, dataSource,
                "postgresql"), JDBI);

        // 2. Data access and the deployment service.
        AppDao apps = jdbi.onDemand(AppDao.class);
        DeploymentDao deploymentDao = jdbi.onDemand(DeploymentDao.class);
        DeploymentEvents events = new DeploymentEvents();
        // The lifecycle stops its executors in reverse order: the log flusher outlives the queue below.
        DeploymentService deployments = new DeploymentService(jdbi, events, environment.lifecycle()
                .executorService("rhone-request-follow-up-%d").minThreads(1).maxThreads(1).build());
        LogChunkDao chunkDao = jdbi.onDemand(LogChunkDao.class);
        LogStore logs = new LogStore(chunkDao, config.getBuilder().getLogCapBytes(), clock, environment.lifecycle()
                .scheduledExecutorService("rhone-log-flusher-%d").removeOnCancelPolicy(true).build());
        AppSecrets appSecrets = new AppSecrets(jdbi.onDemand(EnvVarDao.class), secretBox);

        // 3. The build queue and its pipeline.
        String nodeId = config.getBuilds().getNodeId().isEmpty() ? defaultNodeId() : config.getBuilds().getNodeId();
        BuildPipeline pipeline = pipeline(config, environment, new Builders(logs, appSecrets, dataDir));
        BuildQueue queue = new BuildQueue(deploymentDao, apps, pipeline, config.getBuilds(),
                nodeId, database.target(), environment.metrics(), clock, events);
        if (config.getBuilds().isWorkerEnabled()) {
            environment.lifecycle().manage(queue);
            environment.healthChecks().register("build-queue", new QueueHealthCheck(queue, deploymentDao,
                    config.getBuilds().getStuckThreshold().toJavaDuration(), clock));
        }

        // 4. Who is calling, resolved once: a bearer token is a team (the API), the session cookie
        // a viewer (the dashboard). Every app-scoped route, page or stream asks AppAccess.
        Sessions sessions = new Sessions(jdbi, clock);
        AppAccess access = new AppAccess(apps, deployments);
        Map<Class<? extends Principal>, ContainerRequestFilter> callers = Map.of(
                TeamPrincipal.class, new BearerTokenFilter.Builder()
                        .setAuthenticator(new ApiTokenAuthenticator(jdbi.onDemand(ApiTokenDao.class)))
                        .setPrefix("Bearer")
                        .setRealm("rhone")
                        .buildAuthFilter(),
                Viewer.class, new SessionCookieFilter.Builder()
                        .setAuthenticator(sessions::viewer)
                        .setRealm("rhone")
                        .buildAuthFilter());
        environment.jersey().register(new PolymorphicAuthDynamicFeature<>(callers));
        environment.jersey().register(new PolymorphicAuthValueFactoryProvider.Binder<>(callers.keySet()));
        environment.jersey().register(new ParamExceptionMapper());
        environment.jersey().register(new AppGoneMapper());
        environment.jersey().register(new DeploymentConflictMapper());
        environment.jersey().register(new DeploymentResource(access, deployments, deploymentDao, logs,
                environment.getObjectMapper()));

        // 5. GitHub: signed webhooks in (the endpoint refuses everything without a secret), Check Runs out.
        environment.servlets().addServlet("github-webhooks", new WebhookServlet(
                new WebhookSignature(config.getGithub().getWebhookSecret()),
                new WebhookHandler(dataSource, jdbi, deployments),
                new WebhookRateLimiter(config.getGithub().getWebhookRatePerAddress(),
                        config.getGithub().getWebhookRateOverall()), environment.getObjectMapper()))
                .addMapping("/webhooks/github");
        installationTokens(config).ifPresent(tokens -> {
            GitHubConfiguration gh = config.getGithub();
            CheckRunReporter reporter = new CheckRunReporter(jdbi.onDemand(GitHubDao.class), deploymentDao, apps, logs,
                    new GitHubClients(gh.getApiUrl(), tokens, clock), gh.getCheckName(), gh.getPublicUrl());
            events.subscribe(reporter);
            environment.lifecycle().manage(reporter);
            environment.healthChecks().register("github", new GitHubHealthCheck(tokens));
            environment.lifecycle().manage(new RedeliveryJob(gh.getApiUrl(), tokens.jwt(), jdbi,
                    environment.getObjectMapper(), gh.getRedeliveryInterval().toJavaDuration()));
        });

        // 6. The dashboard: sessions, pages, forms, and live logs from every instance.
        DashboardConfiguration dash = config.getDashboard();
        LiveLogs live = new LiveLogs(database.target(), chunkDao, deploymentDao);
        environment.lifecycle().manage(live);
        if (dash.getLogRetentionDays() > 0) {
            environment.lifecycle().manage(new LogRetention(chunkDao,
                    java.time.Duration.ofDays(dash.getLogRetentionDays()), clock));
        }
        DashboardDao dashboardDao = jdbi.onDemand(DashboardDao.class);
        LiveApps liveApps = new LiveApps(dashboardDao, environment.lifecycle()
                .executorService("rhone-live-apps-%d").minThreads(1).maxThreads(1).build());
        live.watchDeployments(liveApps);
        environment.lifecycle().addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
            @Override
            public void lifeCycleStopping(org.eclipse.jetty.util.component.LifeCycle server) {
                liveApps.endStreams(); // open app pages would hold the graceful stop until its deadline
            }
        });
        String gitHubUrl = config.getBuilder().getGitHubUrl();
        CommitLinks commitLinks = new CommitLinks(gitHubUrl);
        environment.jersey().register(new SignInResource(sessions, new GitHubOAuth(gitHubUrl,
                config.getGithub().getApiUrl(), dash.getOauthClientId(), dash.getOauthClientSecret(),
                environment.getObjectMapper()), dash, config.getGithub().getPublicUrl()));
        environment.jersey().register(new DashboardResource(access, dashboardDao, chunkDao, deploymentDao,
                deployments, new DeployRateLimiter(dash.getDeploysPerMinute()), commitLinks, clock));
        // Log streams and live app pages each hold a request thread: one cap for both.
        java.util.concurrent.Semaphore streams = new java.util.concurrent.Semaphore(dash.getMaxStreams());
        environment.servlets().addFilter("log-stream", new LogStreamFilter(sessions, access, live,
                        environment.getObjectMapper(), dash.getHeartbeat().toJavaDuration(), streams))
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), true, "/apps/*");
        environment.servlets().addFilter("app-events", new AppEventsFilter(sessions, access, liveApps, dashboardDao,
                        commitLinks, environment.getObjectMapper(), dash.getHeartbeat().toJavaDuration(), streams,
                        clock))
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), true,
                        "/events/*");
        environment.healthChecks().register("live-logs", new com.codahale.metrics.health.HealthCheck() {
            @Override
            protected Result check() {
                return live.isConnected() ? Result.healthy()
                        : Result.unhealthy("not listening for log notifications; live pages are delayed");
            }
        });

        // 7. Operations: Prometheus text at /prometheus on the admin port.
        PrometheusRegistry prometheus = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(environment.metrics()).register(prometheus);
        queue.prometheusMetrics().forEach(prometheus::register);
        environment.healthChecks().register("registry", new RegistryHealthCheck(config.getBuilder().getRegistry()));
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(prometheus))
                .addMapping("/prometheus");

        // 8. Once the ports are open, say where to go next (ops/run-local's last words).
        environment.lifecycle().addServerLifecycleListener(new ServerLifecycleListener() {
            @Override
            public void serverStarted(Server server) {
                LoggerFactory.getLogger("rhone").info("rhone is up: dashboard http://localhost:{}/apps, health "
                        + "http://localhost:{}/healthcheck. Next, in another terminal: java -jar target/rhone.jar "
                        + "create-team --slug acme --name Acme config.yml (README: Dashboard)",
                        getLocalPort(server), getAdminPort(server));
            }
        });
    }

    /** What the real pipeline is made of, besides configuration. */
    public record Builders(LogStore logs, AppSecrets secrets, Path dataDir) {
    }

    /** The build pipeline; tests override it with their own. */
    protected BuildPipeline pipeline(RhoneConfiguration config, Environment environment, Builders parts) {
        BuilderConfiguration b = config.getBuilder();
        ProcessRunner runner = new ProcessRunner();
        ImageBuilder imageBuilder;
        List<String> probe;
        if (b.getType().equals("buildctl")) {
            BuildctlImageBuilder buildctl = new BuildctlImageBuilder(new BuildctlImageBuilder.Daemon(
                    b.getBuildctlBinary(), b.getBuildkitAddr(), b.getBuildkitCaCert(), b.getBuildkitCert(),
                    b.getBuildkitKey()), b.getRailpackFrontend(), b.registryAuth(), runner, environment.getObjectMapper());
            imageBuilder = buildctl;
            probe = buildctl.healthCommand();
        } else {
            DockerImageBuilder docker = new DockerImageBuilder(b.getDockerBinary(), b.getRailpackFrontend(),
                    b.registryAuth(), runner);
            imageBuilder = docker;
            probe = docker.versionCommand();
        }
        environment.healthChecks().register("builder", new BuilderHealthCheck(probe, imageBuilder.describe()));
        IsolatedGitConfig.install();
        Path workRoot = b.getWorkDir().isEmpty() ? parts.dataDir().resolve("builds") : Path.of(b.getWorkDir());
        return new ImagePipeline(
                new GitCheckout(repoCredentials(config), b.getGitHubUrl(), b.getCloneTimeout().toJavaDuration()),
                new RailpackAnalyzer(b.getRailpackBinary(), runner, environment.getObjectMapper(), Duration.ofMinutes(5)),
                imageBuilder, parts.secrets(), parts.logs(), b.getRegistry(), b.getRegistryPassword(), workRoot,
                new RegistryImageSize(b.registryAuth(), Duration.ofSeconds(10)));
    }

    /** Tokens for clones: the GitHub App's installation tokens for GitHub apps, nothing for plain git URLs. */
    protected RepoCredentials repoCredentials(RhoneConfiguration config) {
        return installationTokens(config).<RepoCredentials>map(tokens -> tokens::tokenFor).orElse(app -> {
            if (app.isGitHub()) {
                throw new com.vangoframework.rhone.deployments.BuildFailure("the GitHub App is not configured "
                        + "on this service: set GITHUB_APP_ID and GITHUB_PRIVATE_KEY");
            }
            return java.util.Optional.empty();
        });
    }

    /** One token cache per service, shared by clones and Check Runs; empty without App credentials. */
    protected java.util.Optional<InstallationTokens> installationTokens(RhoneConfiguration config) {
        GitHubConfiguration gh = config.getGithub();
        if (!gh.hasAppCredentials()) {
            return java.util.Optional.empty();
        }
        if (tokens == null) {
            tokens = new InstallationTokens(gh.getApiUrl(), new AppJwt(gh.getAppId(),
                    AppPrivateKey.parse(gh.privateKeyPem()), Clock.systemUTC()), Clock.systemUTC());
        }
        return java.util.Optional.of(tokens);
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "unknown-host";
        }
        return host + ":" + ProcessHandle.current().pid() + ":" + UUID.randomUUID().toString().substring(0, 6);
    }

}
