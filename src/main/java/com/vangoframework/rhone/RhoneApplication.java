package com.vangoframework.rhone;

import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.vangoframework.rhone.apps.ApiTokenAuthenticator;
import com.vangoframework.rhone.apps.ApiTokenDao;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.AppSecrets;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.apps.SecretKeys;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.apps.TeamPrincipal;
import com.vangoframework.rhone.db.BoundedHealthCheck;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.DatabaseHealthCheck;
import com.vangoframework.rhone.db.JdbiSetup;
import com.vangoframework.rhone.db.EmbeddedPostgresHost;
import com.vangoframework.rhone.db.EmbeddedPostgresSupervisor;
import com.vangoframework.rhone.deployments.AppOverviewDao;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.deployments.BuildQueue;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentEvents;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentsJdbiPlugin;
import com.vangoframework.rhone.deployments.IdempotencyKeyDao;
import com.vangoframework.rhone.deployments.IdempotencyKeyPurge;
import com.vangoframework.rhone.deployments.QueueHealthCheck;
import com.vangoframework.rhone.deployments.RequestStatements;
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
import com.vangoframework.rhone.github.WebhookBodyBudget;
import com.vangoframework.rhone.github.WebhookLimits;
import com.vangoframework.rhone.github.WebhookRateLimiter;
import com.vangoframework.rhone.github.WebhookServlet;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.logs.LiveLogs;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogRetention;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.pipeline.RegistryHealthCheck;
import com.vangoframework.rhone.pipeline.RepoCredentials;
import com.vangoframework.rhone.pipeline.StepRecorder;
import com.vangoframework.rhone.pipeline.WorkDirSweeper;
import com.vangoframework.rhone.web.AppAccess;
import com.vangoframework.rhone.web.AppEventsFilter;
import com.vangoframework.rhone.web.AppGoneMapper;
import com.vangoframework.rhone.web.BearerTokenFilter;
import com.vangoframework.rhone.web.CommitLinks;
import com.vangoframework.rhone.web.DashboardConfiguration;
import com.vangoframework.rhone.web.DashboardDao;
import com.vangoframework.rhone.web.DashboardResource;
import com.vangoframework.rhone.web.DatabaseUnavailableFilter;
import com.vangoframework.rhone.web.DatabaseUnavailableMapper;
import com.vangoframework.rhone.web.IdempotencyConflictMapper;
import com.vangoframework.rhone.web.DeployRateLimiter;
import com.vangoframework.rhone.web.DeploymentConflictMapper;
import com.vangoframework.rhone.web.LiveApps;
import com.vangoframework.rhone.web.LogStreamFilter;
import com.vangoframework.rhone.web.ParamExceptionMapper;
import com.vangoframework.rhone.web.PendingQuotaMapper;
import com.vangoframework.rhone.web.SecurityHeadersFilter;
import com.vangoframework.rhone.web.SessionCookieFilter;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import com.vangoframework.rhone.web.SignInResource;
import com.vangoframework.rhone.web.StreamSlots;
import com.vangoframework.rhone.web.Viewer;
import com.vangoframework.rhone.web.api.DeploymentResource;
import com.vangoframework.rhone.web.api.StepsResource;
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

/**
 * Wires the service together, once, in the order it starts. No container, just constructors.
 * Longer than our other classes on purpose: it is the one place that names every part, read top
 * to bottom as {@link #run} lists the steps (a quarter of it is imports); the pipeline's parts
 * are put together in {@link PipelineAssembly} and the commands listed in {@link AdminCommands}.
 */
public class RhoneApplication extends Application<RhoneConfiguration> {

    /**
     * The features' JDBI plugins and every DAO of the service: the DAOs' metadata is built once on
     * the root Jdbi (see {@link Database#configure}), so no handle rebuilds it per statement.
     */
    public static final JdbiSetup JDBI = new JdbiSetup(List.of(new DeploymentsJdbiPlugin()), List.of(
            TeamDao.class, AppDao.class, EnvVarDao.class, ApiTokenDao.class, DeploymentDao.class,
            RequestStatements.class, AppOverviewDao.class, LogChunkDao.class, GitHubDao.class, SessionDao.class,
            DashboardDao.class, IdempotencyKeyDao.class, StepDao.class));

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
        AdminCommands.all().forEach(bootstrap::addCommand);
        // Freemarker pages (.ftlh: HTML auto-escaping on), and their scripts and styles as files
        // (no inline script, so a Content-Security-Policy can forbid it).
        bootstrap.addBundle(new ViewBundle<>() {
            @Override
            public Map<String, Map<String, String>> getViewConfiguration(RhoneConfiguration config) {
                // ?url encodes as UTF-8, like the pages; a template error is an exception (a logged
                // 500), never FreeMarker's default debug text with a Java stack trace in the page.
                return Map.of("freemarker", Map.of("url_escaping_charset", "UTF-8",
                        "template_exception_handler", "rethrow"));
            }
        });
        bootstrap.addBundle(new AssetsBundle("/assets", "/assets", null, "assets"));
    }

    @Override
    public void run(RhoneConfiguration config, Environment environment) {
        environment.getObjectMapper().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        Core core = core(config, environment);                      // 1-2. database, data, deployments
        BuildQueue queue = buildQueue(config, environment, core);    // 3. the queue and its pipeline
        Callers callers = callers(config, environment, core);        // 4. who is calling; the JSON API
        gitHub(config, environment, core);                           // 5. webhooks in, Check Runs out
        dashboard(config, environment, core, callers);               // 6. pages, forms, live streams
        operations(config, environment, queue, core);                // 7-8. metrics, first words
    }

    /** What every later step is built on. */
    private record Core(Clock clock, Path dataDir, Database database, ManagedDataSource dataSource, Jdbi jdbi,
                        AppDao apps, DeploymentDao deploymentDao, DeploymentEvents events,
                        DeploymentService deployments, LogChunkDao chunkDao, LogStore logs, AppSecrets appSecrets,
                        BoundedHealthCheck.Group databaseChecks, StepRecorder steps) {
    }

    /** Step 4's result: the dashboard's routes resolve viewers and apps the same way as the API. */
    private record Callers(Sessions sessions, AppAccess access) {
    }

    private Core core(RhoneConfiguration config, Environment environment) {
        Clock clock = Clock.systemUTC();
        Path dataDir = Path.of(config.getDataDir());
        // Embedded or configured; stopped last because it is managed first.
        Database database = Database.open(config.getDatabase(), dataDir, EmbeddedPostgresHost.Role.SERVER);
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                database.close();
            }
        });
        // Restarts the embedded PostgreSQL if its server dies; managed after the database, so it
        // stops (and its executor with it) before the database is closed.
        database.embeddedHost().filter(EmbeddedPostgresHost::ownsDatabase).ifPresent(host -> {
            EmbeddedPostgresSupervisor supervisor = EmbeddedPostgresSupervisor.forService(host, environment.lifecycle()
                    .scheduledExecutorService("rhone-embedded-postgres-%d").threads(1).build());
            environment.lifecycle().manage(supervisor);
            environment.healthChecks().register("embedded-postgres", supervisor.healthCheck());
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
        // The checks that ask the database answer within database.healthCheckTimeout whatever it
        // does (issue 14), on threads of their own: at most one run of each in flight, so two.
        BoundedHealthCheck.Group databaseChecks = new BoundedHealthCheck.Group(
                config.getDatabase().getHealthCheckTimeout().toJavaDuration(),
                environment.lifecycle().executorService("rhone-health-%d").minThreads(2).maxThreads(2).build());
        environment.healthChecks().unregister("postgresql"); // JdbiFactory's: its bound can run on the caller
        environment.healthChecks().register("postgresql", databaseChecks.add("the database",
                new DatabaseHealthCheck(jdbi)));
        AppDao apps = jdbi.onDemand(AppDao.class);
        DeploymentDao deploymentDao = jdbi.onDemand(DeploymentDao.class);
        DeploymentEvents events = new DeploymentEvents();
        // The lifecycle stops its executors in reverse order: the log flusher outlives the queue below.
        DeploymentService deployments = new DeploymentService(jdbi, events, environment.lifecycle()
                .executorService("rhone-request-follow-up-%d").minThreads(1).maxThreads(1).build());
        LogChunkDao chunkDao = jdbi.onDemand(LogChunkDao.class);
        // Every log chunk is written on the flusher (never on a build's output reader): a thread
        // per build that can run at once, so one build's slow insert does not hold up the others'.
        LogStore logs = new LogStore(chunkDao, config.getBuilder().getLogCapBytes(), clock, environment.lifecycle()
                .scheduledExecutorService("rhone-log-flusher-%d").threads(config.getBuilds().getMaxConcurrent())
                .removeOnCancelPolicy(true).build());
        // Build steps and phases (issue 15) are written on their own executor, like the log's chunks:
        // a thread per build that can run at once, stopped after the queue.
        StepRecorder steps = new StepRecorder(jdbi.onDemand(StepDao.class), environment.lifecycle()
                .scheduledExecutorService("rhone-step-recorder-%d").threads(config.getBuilds().getMaxConcurrent())
                .removeOnCancelPolicy(true).build(), clock, events);
        AppSecrets appSecrets = new AppSecrets(jdbi.onDemand(EnvVarDao.class),
                jdbi.onDemand(com.vangoframework.rhone.apps.RegistryCredentialsDao.class), secretBox);
        return new Core(clock, dataDir, database, dataSource, jdbi, apps, deploymentDao, events, deployments,
                chunkDao, logs, appSecrets, databaseChecks, steps);
    }

    private BuildQueue buildQueue(RhoneConfiguration config, Environment environment, Core c) {
        String nodeId = config.getBuilds().getNodeId().isEmpty() ? defaultNodeId() : config.getBuilds().getNodeId();
        BuildPipeline pipeline = pipeline(config, environment, new Builders(c.logs(), c.appSecrets(), c.dataDir(),
                c.steps()));
        BuildQueue queue = new BuildQueue(c.deploymentDao(), c.apps(), pipeline, config.getBuilds(),
                nodeId, c.database().target(), environment.metrics(), c.clock(), c.events(), c.logs());
        // What builds left in the work directory (a node killed with -9): at start, then periodically.
        environment.lifecycle().manage(new WorkDirSweeper(Path.of(config.getBuilder().getWorkDir()),
                config.getBuilder().getWorkDirSweepInterval().toJavaDuration(), c.clock()));
        if (config.getBuilds().isWorkerEnabled()) {
            environment.lifecycle().manage(queue);
            QueueHealthCheck check = new QueueHealthCheck(queue, c.deploymentDao(),
                    config.getBuilds().getStuckThreshold().toJavaDuration(), c.clock());
            environment.healthChecks().register("build-queue", c.databaseChecks().add("the build queue's database "
                    + "query", check));
        }
        return queue;
    }

    /**
     * Who is calling, resolved once: a bearer token is a team (the API), the session cookie a
     * viewer (the dashboard). Every app-scoped route, page or stream asks one AppAccess.
     */
    private Callers callers(RhoneConfiguration config, Environment environment, Core c) {
        // The API's Deploy and Retry go at the dashboard's pace (per token and app there, per app here).
        int deploysPerMinute = config.getDashboard().getDeploysPerMinute();
        Sessions sessions = new Sessions(c.jdbi(), c.clock());
        AppAccess access = new AppAccess(c.apps(), c.deployments());
        Map<Class<? extends Principal>, ContainerRequestFilter> filters = Map.of(
                TeamPrincipal.class, new BearerTokenFilter.Builder()
                        .setAuthenticator(new ApiTokenAuthenticator(c.jdbi().onDemand(ApiTokenDao.class)))
                        .setPrefix("Bearer")
                        .setRealm("rhone")
                        .buildAuthFilter(),
                Viewer.class, new SessionCookieFilter.Builder()
                        .setAuthenticator(sessions::viewer)
                        .setRealm("rhone")
                        .buildAuthFilter());
        environment.jersey().register(new PolymorphicAuthDynamicFeature<>(filters));
        environment.jersey().register(new PolymorphicAuthValueFactoryProvider.Binder<>(filters.keySet()));
        environment.jersey().register(new ParamExceptionMapper());
        environment.jersey().register(new AppGoneMapper());
        environment.jersey().register(new DeploymentConflictMapper());
        environment.jersey().register(new PendingQuotaMapper());
        environment.jersey().register(new IdempotencyConflictMapper());
        environment.jersey().register(new DatabaseUnavailableMapper.OfJdbi());
        environment.jersey().register(new DatabaseUnavailableMapper.OfSqlFailure());
        environment.lifecycle().manage(new IdempotencyKeyPurge(c.jdbi().onDemand(IdempotencyKeyDao.class),
                environment.lifecycle().scheduledExecutorService("rhone-idempotency-purge-%d").threads(1).build(),
                Duration.ofHours(1)));
        environment.jersey().register(new DeploymentResource(access, c.deployments(), c.deploymentDao(), c.logs(),
                environment.getObjectMapper(), new DeployRateLimiter<>(deploysPerMinute)));
        environment.jersey().register(new StepsResource(access, c.jdbi().onDemand(StepDao.class)));
        return new Callers(sessions, access);
    }

    /** Signed webhooks in (the endpoint refuses everything without a secret), Check Runs out. */
    private void gitHub(RhoneConfiguration config, Environment environment, Core c) {
        GitHubConfiguration hooks = config.getGithub();
        WebhookBodyBudget bodies = new WebhookBodyBudget(hooks.getWebhookBodyBudget().toBytes());
        environment.metrics().register("webhooks.body-bytes-in-flight", (Gauge<Long>) bodies::inFlight);
        environment.metrics().register("webhooks.body-bytes-peak", (Gauge<Long>) bodies::peak);
        var webhooks = environment.servlets().addServlet("github-webhooks", new WebhookServlet(
                new WebhookSignature(hooks.getWebhookSecret()),
                new WebhookHandler(c.dataSource(), c.jdbi(), c.deployments()),
                new WebhookLimits(new WebhookRateLimiter(hooks.getWebhookRatePerAddress(),
                        hooks.getWebhookRateOverall()), bodies,
                        environment.lifecycle().scheduledExecutorService("rhone-webhook-deadlines-%d").threads(1)
                                .build(),
                        hooks.getWebhookBodyDeadline().toJavaDuration(), hooks.getWebhookAddressHeader()),
                environment.getObjectMapper()));
        webhooks.setAsyncSupported(true); // bodies are read as they arrive, without holding a thread
        webhooks.addMapping("/webhooks/github");
        installationTokens(config).ifPresent(tokens -> {
            GitHubConfiguration gh = config.getGithub();
            CheckRunReporter reporter = new CheckRunReporter(c.jdbi(), c.database().target(), c.deploymentDao(),
                    c.apps(), c.logs(), new GitHubClients(gh.getApiUrl(), tokens, c.clock()), gh.getCheckName(),
                    gh.getPublicUrl());
            c.events().subscribe(reporter);
            environment.lifecycle().manage(reporter);
            environment.healthChecks().register("github", new GitHubHealthCheck(tokens));
            environment.lifecycle().manage(new RedeliveryJob(gh.getApiUrl(), tokens.jwt(), c.jdbi(),
                    environment.getObjectMapper(), gh.getRedeliveryInterval().toJavaDuration()));
        });
    }

    /**
     * The dashboard: the browser hardening headers, sign-in, pages, forms, and live logs and app
     * pages from every instance.
     */
    private void dashboard(RhoneConfiguration config, Environment environment, Core c, Callers callers) {
        DashboardConfiguration dash = config.getDashboard();
        // First of all filters ("match before"), so even the streams, which answer without going on
        // down the chain, carry the headers; the admin port is another context and gets none.
        environment.servlets().addFilter("security-headers", new SecurityHeadersFilter())
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST,
                        jakarta.servlet.DispatcherType.ERROR), false, "/*");
        // Before the live streams' filters, which ask the database outside Jersey (and its mappers).
        environment.servlets().addFilter("database-unavailable", new DatabaseUnavailableFilter(
                environment.getObjectMapper())).addMappingForUrlPatterns(java.util.EnumSet.of(
                        jakarta.servlet.DispatcherType.REQUEST), false, "/*");
        StepDao stepDao = c.jdbi().onDemand(StepDao.class);
        LiveLogs live = new LiveLogs(c.database().target(), c.chunkDao(), c.deploymentDao(), stepDao);
        environment.lifecycle().manage(live);
        if (dash.getLogRetentionDays() > 0) {
            environment.lifecycle().manage(new LogRetention(c.chunkDao(), c.jdbi().onDemand(StepDao.class),
                    java.time.Duration.ofDays(dash.getLogRetentionDays()), c.clock()));
        }
        DashboardDao dashboardDao = c.jdbi().onDemand(DashboardDao.class);
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
        environment.jersey().register(new SignInResource(callers.sessions(), new GitHubOAuth(gitHubUrl,
                config.getGithub().getApiUrl(), dash.getOauthClientId(), dash.getOauthClientSecret(),
                environment.getObjectMapper()), dash, config.getGithub().getPublicUrl()));
        environment.jersey().register(new DashboardResource(callers.access(), dashboardDao, c.chunkDao(),
                c.deploymentDao(), c.deployments(), new DeployRateLimiter<>(dash.getDeploysPerMinute()), commitLinks,
                c.clock(), stepDao));
        // What Jetty refuses before any endpoint runs is answered in the API's error shape too.
        environment.lifecycle().addServerLifecycleListener(server -> server.setErrorHandler(
                new com.vangoframework.rhone.web.JsonErrorHandler(environment.getObjectMapper())));
        environment.getApplicationContext().setErrorHandler(
                new com.vangoframework.rhone.web.JsonServletErrorHandler(environment.getObjectMapper()));
        environment.servlets().addFilter("request-encoding", new com.vangoframework.rhone.web.RequestEncodingFilter())
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), false, "/*");
        // Log streams and live app pages each hold a request thread: one count for both.
        StreamSlots streams = new StreamSlots(dash.getMaxStreams(), dash.getMaxStreamsPerSession(),
                dash.getMaxStreamsPerTeam(), dashboardDao::teamSlug);
        environment.servlets().addFilter("log-stream", new LogStreamFilter(callers.sessions(), callers.access(),
                        live, environment.getObjectMapper(), new LogStreamFilter.Timing(
                                dash.getHeartbeat().toJavaDuration(), dash.getWaitingStreamIdle().toJavaDuration(),
                                dash.getWaitingStreamRetry().toJavaDuration()), streams))
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), true, "/apps/*");
        environment.servlets().addFilter("app-events", new AppEventsFilter(callers.sessions(), callers.access(),
                        liveApps, dashboardDao, commitLinks, environment.getObjectMapper(),
                        dash.getHeartbeat().toJavaDuration(), streams, c.clock()))
                .addMappingForUrlPatterns(java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST), true,
                        "/events/*");
        environment.healthChecks().register("live-logs", new com.codahale.metrics.health.HealthCheck() {
            @Override
            protected Result check() {
                return live.isConnected() ? Result.healthy()
                        : Result.unhealthy("not listening for log notifications; live pages are delayed");
            }
        });
    }

    /** Prometheus text at /prometheus on the admin port, and, once the ports are open, where to go next. */
    private void operations(RhoneConfiguration config, Environment environment, BuildQueue queue, Core c) {
        PrometheusRegistry prometheus = new PrometheusRegistry();
        DropwizardExports.builder().dropwizardRegistry(environment.metrics()).register(prometheus);
        queue.prometheusMetrics().forEach(prometheus::register);
        c.steps().prometheusMetrics().forEach(prometheus::register);
        environment.healthChecks().register("registry", new RegistryHealthCheck(config.getBuilder().registryAuth()));
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(prometheus))
                .addMapping("/prometheus");
        // ops/run-local's last words.
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
    public record Builders(LogStore logs, AppSecrets secrets, Path dataDir, StepRecorder steps) {
    }

    /** The build pipeline; tests override it with their own. */
    protected BuildPipeline pipeline(RhoneConfiguration config, Environment environment, Builders parts) {
        return PipelineAssembly.assemble(config.getBuilder(), environment, parts, repoCredentials(config));
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
