package com.vangoframework.rhone.deployments;

/** The pipeline of a service with no image builder wired in: every build fails and says why. */
public final class UnconfiguredPipeline implements BuildPipeline {

    @Override
    public BuildResult build(BuildContext context) throws BuildFailure {
        throw new BuildFailure("no builder configured: this rhone node cannot build images yet");
    }
}
