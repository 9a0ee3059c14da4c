package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.RhoneConfiguration;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.BuildPipeline;
import io.dropwizard.core.Application;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** One running rhone node (the real app, real Jetty, random ports) on a given database. */
public final class TestService {

    public static final String SECRET_KEY = Base64.getEncoder().encodeToString(new byte[32]);

    private final DropwizardTestSupport<RhoneConfiguration> support;

    public TestService(DatabaseTarget db, Path dataDir, BuildPipeline pipeline, ConfigOverride... extra) {
        this(db, dataDir, pipeline, com.vangoframework.rhone.pipeline.RepoCredentials.NONE, extra);
    }

    /** A service whose pipeline is made from the application's parts (see {@link TestApplication}). */
    public static TestService withPipelineFrom(
            DatabaseTarget db, Path dataDir,
            java.util.function.Function<com.vangoframework.rhone.RhoneApplication.Builders, BuildPipeline> factory,
            ConfigOverride... extra) {
        return new TestService(db, dataDir, () -> new TestApplication(factory), extra);
    }

    /** {@code pipeline} null: the real build pipeline, cloning with {@code credentials}. */
    public TestService(DatabaseTarget db, Path dataDir, BuildPipeline pipeline,
                       com.vangoframework.rhone.pipeline.RepoCredentials credentials, ConfigOverride... extra) {
        this(db, dataDir, () -> new TestApplication(pipeline, credentials), extra);
    }

    private TestService(DatabaseTarget db, Path dataDir, java.util.function.Supplier<TestApplication> applicationFactory,
                        ConfigOverride... extra) {
        List<ConfigOverride> overrides = new ArrayList<>(List.of(
                ConfigOverride.config("database.url", db.jdbcUrl()),
                ConfigOverride.config("database.user", db.user()),
                ConfigOverride.config("database.password", db.password()),
                ConfigOverride.config("dataDir", dataDir.toString()),
                ConfigOverride.config("builder.workDir", workDirOf(dataDir).toString()),
                ConfigOverride.config("secretKey", SECRET_KEY),
                ConfigOverride.config("server.applicationConnectors[0].port", "0"),
                ConfigOverride.config("server.adminConnectors[0].port", "0"),
                ConfigOverride.config("builds.leaseDuration", "3s"),
                ConfigOverride.config("builds.reapInterval", "500ms"),
                ConfigOverride.config("builds.shutdownGrace", "2s"),
                ConfigOverride.config("logging.level", "WARN")));
        overrides.addAll(List.of(extra));
        this.support = new DropwizardTestSupport<>(RhoneApplication.class,
                Path.of("config.yml").toAbsolutePath().toString(), overrides.toArray(ConfigOverride[]::new)) {
            @Override
            public Application<RhoneConfiguration> newApplication() {
                return applicationFactory.get();
            }
        };
    }

    /** Where a service on {@code dataDir} keeps its builds' work directories: beside it, as the defaults do. */
    public static Path workDirOf(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + "-builds");
    }

    /**
     * Starts the service. Dropwizard's test support hands the overrides to the application as
     * {@code dw.*} system properties, which every service in this JVM reads, and on stop puts back
     * the values it found at start: two services stopped in the order they were started would
     * leave the first one's settings behind for every later test (that is how a test's
     * {@code builds.workerEnabled=false} once silently turned off the queue of the tests after it).
     * So each start begins with no {@code dw.*} property at all and ends by removing them again:
     * the configuration is read once, during the start, and nothing is left to leak.
     */
    public TestService start() throws Exception {
        synchronized (TestService.class) {
            clearOverrideProperties();
            try {
                support.before();
            } finally {
                clearOverrideProperties();
            }
        }
        return this;
    }

    public void stop() {
        synchronized (TestService.class) {
            try {
                support.after();
            } finally {
                clearOverrideProperties();
            }
        }
    }

    private static void clearOverrideProperties() {
        System.getProperties().stringPropertyNames().stream()
                .filter(name -> name.startsWith("dw."))
                .forEach(System::clearProperty);
    }

    public String url() {
        return "http://127.0.0.1:" + support.getLocalPort();
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + support.getAdminPort();
    }
}
