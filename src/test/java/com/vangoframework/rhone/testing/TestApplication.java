package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.RhoneConfiguration;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.pipeline.RepoCredentials;
import io.dropwizard.core.setup.Environment;

/**
 * The real application with a test's pipeline plugged in, or (pipeline null) the real pipeline
 * with the test's clone credentials.
 */
public final class TestApplication extends RhoneApplication {

    private final BuildPipeline pipeline;
    private final RepoCredentials credentials;
    private final java.util.function.Function<Builders, BuildPipeline> factory;

    /** A pipeline made from the application's own parts (its log store, for one). */
    public TestApplication(java.util.function.Function<Builders, BuildPipeline> factory) {
        this.pipeline = null;
        this.credentials = RepoCredentials.NONE;
        this.factory = factory;
    }

    public TestApplication(BuildPipeline pipeline) {
        this(pipeline, RepoCredentials.NONE);
    }

    public TestApplication(BuildPipeline pipeline, RepoCredentials credentials) {
        this.pipeline = pipeline;
        this.credentials = credentials;
        this.factory = null;
    }

    @Override
    protected BuildPipeline pipeline(RhoneConfiguration config, Environment environment, Builders parts) {
        if (factory != null) {
            return factory.apply(parts);
        }
        return pipeline != null ? pipeline : super.pipeline(config, environment, parts);
    }

    /** {@code credentials} null: the real ones (the GitHub App's installation tokens). */
    @Override
    protected RepoCredentials repoCredentials(RhoneConfiguration config) {
        return credentials != null ? credentials : super.repoCredentials(config);
    }
}
