package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.RhoneConfiguration;
import com.vangoframework.rhone.deployments.BuildPipeline;
import io.dropwizard.core.setup.Environment;

/** The real application with a test's pipeline plugged in. */
public final class TestApplication extends RhoneApplication {

    private final BuildPipeline pipeline;

    public TestApplication(BuildPipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    protected BuildPipeline pipeline(RhoneConfiguration config, Environment environment) {
        return pipeline;
    }
}
