package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppSecrets;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.util.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real pipeline: clone, analyze, build and push, reporting each phase, writing every line of
 * output (masked) to the deployment's log, and removing its work directory whatever happens.
 */
public final class ImagePipeline implements BuildPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePipeline.class);

    private final GitCheckout git;
    private final RailpackAnalyzer analyzer;
    private final ImageBuilder builder;
    private final AppSecrets secrets;
    private final LogStore logs;
    private final String registry;
    private final String registryPassword;
    private final Path workRoot;
    private final RegistryImageSize sizes;

    public ImagePipeline(GitCheckout git, RailpackAnalyzer analyzer, ImageBuilder builder, AppSecrets secrets,
                         LogStore logs, String registry, String registryPassword, Path workRoot,
                         RegistryImageSize sizes) {
        this.git = git;
        this.analyzer = analyzer;
        this.builder = builder;
        this.secrets = secrets;
        this.logs = logs;
        this.registry = registry;
        this.registryPassword = registryPassword;
        // docker build runs inside the checkout and is given its path: never a relative one.
        this.workRoot = workRoot.toAbsolutePath();
        this.sizes = sizes;
    }

    @Override
    public BuildResult build(BuildContext ctx) throws Exception {
        App app = ctx.app();
        Deployment d = ctx.deployment();
        Map<String, String> env = secrets.forApp(app.id());
        List<String> hidden = new ArrayList<>(env.values());
        hidden.add(registryPassword);
        Optional<String> token;
        try {
            token = git.token(app);
        } catch (BuildFailure e) {
            try (BuildLog log = logs.open(d.id(), new SecretMasker(hidden))) {
                log.line("error: " + e.getMessage());
            }
            throw e;
        }
        token.ifPresent(hidden::add);
        Files.createDirectories(workRoot);
        Path work = Files.createTempDirectory(workRoot, "deployment-" + d.id() + "-");
        SecretMasker masker = new SecretMasker(hidden);
        try (BuildLog log = logs.open(d.id(), masker)) {
            return run(ctx, app, d, work, env, token, log);
        } catch (BuildFailure e) {
            // The sentence is stored on the row and shown by the API: masked, on one line.
            throw new BuildFailure(masker.apply(e.getMessage()).replaceAll("\\s*\\R\\s*", " "), e.getCause());
        } finally {
            deleteRecursively(work);
        }
    }

    private BuildResult run(BuildContext ctx, App app, Deployment d, Path work, Map<String, String> env,
                            Optional<String> token, BuildLog log) throws Exception {
        try {
            log.line("Deployment " + d.id() + " of " + app.slug() + " (" + d.trigger().dbValue() + ", attempt "
                    + d.attempt() + ") with " + builder.describe());
            GitCheckout.Checkout checkout = git.checkout(app, d, work.resolve("src"), token, log, ctx);
            ctx.recordCommit(checkout.sha(), checkout.message(), checkout.author());
            log.line("Checked out " + checkout.sha().substring(0, 12) + " by " + checkout.author() + ": "
                    + checkout.message().lines().findFirst().orElse(""));

            ctx.advance(DeploymentStatus.ANALYZING);
            BuildPlan plan = analyzer.analyze(checkout.dir(), work.resolve("plan"), log, ctx);

            ctx.advance(DeploymentStatus.BUILDING);
            String repo = registry + "/" + app.slug();
            String tag = repo + ":" + checkout.sha().substring(0, 12);
            ImageBuilder.Request request = new ImageBuilder.Request(plan, tag, repo + ":buildcache", env,
                    secrets.fingerprint(app.id(), env), work, Duration.ofSeconds(app.buildTimeoutSeconds()));
            ImageBuilder.Image image = builder.build(request, log, ctx, () -> ctx.advance(DeploymentStatus.PUSHING));
            log.line("Pushed " + image.tag() + " (" + image.digest() + ")");
            // Measured after the push, from the registry; an unknown size never fails the build.
            Long size = sizes.measure(image.tag(), image.digest()).stream().boxed().findFirst().orElse(null);
            if (size != null) {
                log.line("Image size: " + size + " bytes (config and compressed layers, as pulled)");
            }
            return new BuildResult(image.tag(), image.digest(), size);
        } catch (BuildFailure e) {
            log.line("error: " + e.getMessage()); // the log masks it
            throw e;
        } catch (BuildContext.BuildAbortedException e) {
            log.line(switch (e.reason()) {
                case CANCELLED -> "Build cancelled.";
                case TIMED_OUT -> "Build stopped: it ran past the app's build timeout.";
                case SHUTDOWN -> "Build interrupted: this rhone node is stopping; it will be resumed.";
                case LEASE_LOST -> "Build abandoned: another rhone node has taken it over.";
            });
            throw e;
        } catch (InterruptedException e) {
            ctx.throwIfAborted();
            throw e;
        }
    }

    /**
     * Symbolic links in a checkout are removed, never followed out of it. A file that cannot be
     * removed does not stop the rest from going (IGNORE_ERRORS); what is left is reported once.
     */
    static void deleteRecursively(Path dir) {
        try {
            FileUtils.delete(dir.toFile(), FileUtils.RECURSIVE | FileUtils.SKIP_MISSING | FileUtils.IGNORE_ERRORS);
        } catch (IOException e) {
            LOG.warn("Could not remove the work directory {}", dir, e);
        }
        if (java.nio.file.Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            LOG.warn("The work directory {} could not be removed completely", dir);
        }
    }
}
