package com.vangoframework.rhone;

import com.vangoframework.rhone.RhoneApplication.Builders;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.pipeline.BuilderConfiguration;
import com.vangoframework.rhone.pipeline.BuilderHealthCheck;
import com.vangoframework.rhone.pipeline.BuildctlImageBuilder;
import com.vangoframework.rhone.pipeline.DockerImageBuilder;
import com.vangoframework.rhone.pipeline.GitCheckout;
import com.vangoframework.rhone.pipeline.ImageBuilder;
import com.vangoframework.rhone.pipeline.ImagePipeline;
import com.vangoframework.rhone.pipeline.IsolatedGitConfig;
import com.vangoframework.rhone.pipeline.ProcessRunner;
import com.vangoframework.rhone.pipeline.RailpackAnalyzer;
import com.vangoframework.rhone.pipeline.RegistryImageSize;
import com.vangoframework.rhone.pipeline.RepoCredentials;
import io.dropwizard.core.setup.Environment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The real build pipeline, put together from the builder configuration (part of the composition root). */
final class PipelineAssembly {

    private PipelineAssembly() {
    }

    static BuildPipeline assemble(BuilderConfiguration b, Environment environment, Builders parts,
                                  RepoCredentials credentials) {
        Path workRoot = Path.of(b.getWorkDir());
        // Programs that belong to no build (image removal, the health probe) get this empty home,
        // never the service user's (see ProcessRunner). Not under workRoot: that holds only builds.
        ProcessRunner runner = new ProcessRunner(parts.dataDir().resolve("idle-home"));
        ImageBuilder imageBuilder;
        List<String> probe;
        if (b.getType().equals("buildctl")) {
            BuildctlImageBuilder buildctl = new BuildctlImageBuilder(new BuildctlImageBuilder.Daemon(
                    b.getBuildctlBinary(), b.getBuildkitAddr(), b.getBuildkitCaCert(), b.getBuildkitCert(),
                    b.getBuildkitKey()), b.getRailpackFrontend(), runner, environment.getObjectMapper(), b.pushRetry());
            imageBuilder = buildctl;
            probe = buildctl.healthCommand();
        } else {
            DockerImageBuilder docker = new DockerImageBuilder(b.getDockerBinary(), b.getRailpackFrontend(), runner,
                    b.pushRetry());
            imageBuilder = docker;
            probe = docker.versionCommand();
        }
        environment.healthChecks().register("builder", new BuilderHealthCheck(runner, probe, imageBuilder.describe()));
        IsolatedGitConfig.install();
        if (workRoot.toAbsolutePath().normalize().startsWith(parts.dataDir().toAbsolutePath().normalize())) {
            LoggerFactory.getLogger(PipelineAssembly.class).warn("The build work directory {} is inside the data "
                    + "directory {}, next to secret.key and postgres.password: set RHONE_WORK_DIR elsewhere", workRoot,
                    parts.dataDir());
        }
        return new ImagePipeline(
                new GitCheckout(credentials, b.getGitHubUrl(), b.getCloneTimeout().toJavaDuration(), b.checkoutLimits()),
                new RailpackAnalyzer(b.getRailpackBinary(), runner, environment.getObjectMapper(), Duration.ofMinutes(5)),
                imageBuilder, parts.secrets(), parts.logs(), b.registryAuth(), workRoot,
                new RegistryImageSize(b.registryAuth(), Duration.ofSeconds(10)), parts.steps());
    }
}
