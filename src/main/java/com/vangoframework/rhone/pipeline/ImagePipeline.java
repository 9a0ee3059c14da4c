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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real pipeline: clone, analyze, build and push, reporting each phase, writing every line of
 * output (masked) to the deployment's log, and removing its work directory whatever happens.
 */
public final class ImagePipeline implements BuildPipeline {

    private final GitCheckout git;
    private final RailpackAnalyzer analyzer;
    private final ImageBuilder builder;
    private final AppSecrets secrets;
    private final LogStore logs;
    private final String registry;
    private final RegistryAuth globalAuth;
    private final Path workRoot;
    private final RegistryImageSize sizes;
    private final StepRecorder recorder;

    /** A pipeline that records no phases nor steps (tests of other things). */
    public ImagePipeline(GitCheckout git, RailpackAnalyzer analyzer, ImageBuilder builder, AppSecrets secrets,
                         LogStore logs, RegistryAuth globalAuth, Path workRoot, RegistryImageSize sizes) {
        this(git, analyzer, builder, secrets, logs, globalAuth, workRoot, sizes, StepRecorder.off());
    }

    /** {@code recorder} writes each build's phases and BuildKit steps as it goes. */
    public ImagePipeline(GitCheckout git, RailpackAnalyzer analyzer, ImageBuilder builder, AppSecrets secrets,
                         LogStore logs, RegistryAuth globalAuth, Path workRoot, RegistryImageSize sizes,
                         StepRecorder recorder) {
        this.git = git;
        this.analyzer = analyzer;
        this.builder = builder;
        this.secrets = secrets;
        this.logs = logs;
        this.registry = globalAuth.registry();
        this.globalAuth = globalAuth;
        // docker build runs inside the checkout and is given its path: never a relative one.
        this.workRoot = workRoot.toAbsolutePath();
        this.sizes = sizes;
        this.recorder = recorder;
    }

    /**
     * Runs the build, recording its phases and steps: the recording ends (and its last write is
     * awaited, briefly) before this returns, so before the queue records the outcome.
     */
    @Override
    public BuildResult build(BuildContext ctx) throws Exception {
        StepRecorder.Recording recording = recorder.start(ctx.deployment());
        try {
            return build(ctx, recording);
        } finally {
            recording.end(ctx.abortReason());
        }
    }

    private BuildResult build(BuildContext ctx, StepRecorder.Recording recording) throws Exception {
        App app = ctx.app();
        Deployment d = ctx.deployment();
        BuildTarget target = BuildTarget.of(app, d);
        // Values a build does not get are neither decrypted nor masked: masking them would let the
        // build test guesses against the log ("****" means a hit).
        Map<String, String> env = target.envVars() ? secrets.forApp(app.id()) : Map.of();
        RegistryAuth auth = registryAuth(app);
        List<String> hidden = new ArrayList<>(env.values());
        hidden.add(auth.password());
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
        SecretMasker masker = new SecretMasker(hidden);
        // The work directory is held (locked) until it is removed, after the log is closed: no
        // sweeper of any node on this machine takes it meanwhile.
        try (WorkDir work = WorkDir.claim(workRoot, d.id()); BuildLog log = logs.open(d.id(), masker)) {
            try {
                return run(ctx, new Build(app, d, target, env, auth), work.path(), token, log, recording);
            } finally {
                recording.end(ctx.abortReason()); // the phases end with the build's work, not after its log is written
            }
        } catch (BuildFailure e) {
            // The sentence is stored on the row and shown by the API: masked, on one line.
            throw new BuildFailure(masker.apply(e.getMessage()).replaceAll("\\s*\\R\\s*", " "), e.getCause());
        }
    }

    /** The app's own registry credentials when it has some, else the global ones: never both. */
    private RegistryAuth registryAuth(App app) {
        return secrets.registryCredentials(app.id())
                .map(own -> new RegistryAuth(registry, own.username(), own.password()))
                .orElse(globalAuth);
    }

    /** What one build works with, decided before it starts. */
    private record Build(App app, Deployment d, BuildTarget target, Map<String, String> env, RegistryAuth auth) {
    }

    /** The build's first lines: what it is, what it may use (names and users, never values). */
    private void announce(Build b, BuildLog log) {
        Deployment d = b.d();
        log.line("Deployment " + d.id() + " of " + b.app().slug() + " (" + d.trigger().dbValue() + ", attempt "
                + d.attempt() + ") with " + builder.describe());
        if (b.target().note() != null) {
            log.line(b.target().note());
        }
        if (b.auth() != globalAuth) {
            log.line("Registry: app " + b.app().slug() + "'s own credentials (user " + b.auth().user() + ")");
        } else if (globalAuth.isEmpty()) {
            log.line("Registry: no credentials");
        } else {
            log.line("Registry: the builder's credentials (user " + globalAuth.user() + ")");
        }
    }

    private BuildResult run(BuildContext ctx, Build b, Path work, Optional<String> token, BuildLog log,
                            StepRecorder.Recording recording) throws Exception {
        App app = b.app();
        Deployment d = b.d();
        try {
            announce(b, log);
            GitCheckout.Checkout checkout = git.checkout(app, d, work.resolve("src"), token, log, ctx);
            ctx.recordCommit(checkout.sha(), checkout.message(), checkout.author());
            log.line("Checked out " + checkout.sha().substring(0, 12) + " by " + checkout.author() + ": "
                    + checkout.message().lines().findFirst().orElse(""));

            ctx.advance(DeploymentStatus.ANALYZING);
            recording.phase("analysis");
            BuildPlan plan = analyzer.analyze(checkout.dir(), work.resolve("plan"), log, ctx);

            ctx.advance(DeploymentStatus.BUILDING);
            recording.phase("build");
            BuildTarget target = b.target();
            String tag = target.imageTag(registry, app, d, checkout.sha());
            // The fingerprint of the env vars the build gets: of an empty set for a pull request without them.
            ImageBuilder.Request request = new ImageBuilder.Request(plan, tag, target.cacheRef(registry, app),
                    target.exportsCache(), b.env(), secrets.fingerprint(app.id(), b.env()), b.auth(), work,
                    Duration.ofSeconds(app.buildTimeoutSeconds()));
            ImageBuilder.Image image = builder.build(request, log, ctx, () -> {
                ctx.advance(DeploymentStatus.PUSHING);
                recording.phase("push");
            }, recording.steps());
            log.line("Pushed " + image.tag() + " (" + image.digest() + ")");
            // Measured after the push, from the registry; an unknown size never fails the build.
            Long size = sizes.measure(image.tag(), image.digest(), b.auth()).stream().boxed().findFirst().orElse(null);
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
}
