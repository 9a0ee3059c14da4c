package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds with the local Docker engine's BuildKit and pushes with the Docker CLI. Debian's CLI has
 * no buildx, so this runs {@code DOCKER_BUILDKIT=1 docker build} and then {@code docker push}; the
 * digest comes from the push output, which reports the manifest digest the registry stored.
 * There is no registry cache here ({@code docker build} without buildx can neither import nor
 * export one; the engine's own BuildKit cache is local), so the request's cache fields are unused.
 */
public final class DockerImageBuilder implements ImageBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(DockerImageBuilder.class);
    private static final Pattern PUSH_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

    private final String docker;
    private final String railpackFrontend;
    private final ProcessRunner runner;
    private final PushRetry retry;
    /** Background removals of pushed images, by tag: a rebuild of the same commit waits for its tag's. */
    private final java.util.concurrent.ConcurrentMap<String, java.util.concurrent.CompletableFuture<Integer>> removals =
            new java.util.concurrent.ConcurrentHashMap<>();

    public DockerImageBuilder(String docker, String railpackFrontend, ProcessRunner runner) {
        this(docker, railpackFrontend, runner, PushRetry.defaults());
    }

    public DockerImageBuilder(String docker, String railpackFrontend, ProcessRunner runner, PushRetry retry) {
        this.docker = docker;
        this.railpackFrontend = railpackFrontend;
        this.runner = runner;
        this.retry = retry;
    }

    List<String> buildCommand(Request r) {
        List<String> args = new ArrayList<>(List.of(docker, "build", "--progress=plain", "--tag", r.imageTag(),
                "--build-arg", "secrets-hash=" + r.secretsHash()));
        args.addAll(r.secretArgs());
        if (r.plan().kind() == BuildPlan.Kind.RAILPACK) {
            // The railpack frontend reads the plan instead of a Dockerfile.
            args.addAll(List.of("--build-arg", "BUILDKIT_SYNTAX=" + railpackFrontend));
        }
        args.addAll(List.of("--file", r.plan().planFile().toString(), r.plan().contextDir().toString()));
        return args;
    }

    List<String> pushCommand(Request r) {
        return List.of(docker, "push", r.imageTag());
    }

    @Override
    public Image build(Request r, BuildLog log, BuildContext ctx, PushingListener onPushing)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        return build(r, log, ctx, onPushing, new BuildSteps());
    }

    /** {@code steps} hears {@code docker build}'s progress (not the push's output, which is no BuildKit progress). */
    @Override
    public Image build(Request r, BuildLog log, BuildContext ctx, PushingListener onPushing, BuildSteps steps)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        var removal = removals.get(r.imageTag());
        if (removal != null) {
            removal.join(); // never completes exceptionally; bounded by the removal's time limit
        }
        Map<String, String> env = new HashMap<>(r.secretEnv());
        env.put("DOCKER_BUILDKIT", "1");
        boolean mayHoldImage = false; // the engine may hold an image under the tag: removed below
        boolean built = false;
        try {
            env.put("DOCKER_CONFIG", r.auth().writeDockerConfig(r.workDir()).toString());
            OutputTail build = new OutputTail(log::line, 40);
            Path home = ProcessRunner.homeIn(r.workDir());
            mayHoldImage = true; // a build killed (cancel, timeout) at its very end may still have tagged it
            int exit;
            log.tap(steps::acceptPlain); // the masked lines, as stored: the steps never hold a secret
            try {
                exit = runner.run(new ProcessRunner.Command(buildCommand(r), r.plan().contextDir(), env, r.timeout(),
                        home), build, ctx);
            } finally {
                log.tap(null);
            }
            if (exit != 0) {
                mayHoldImage = false; // a docker build that fails tags nothing
                throw new BuildFailure(ImageBuilder.failureSentence(build.lines(), steps.summary()));
            }
            built = true;
            onPushing.pushing();
            log.line("Pushing " + r.imageTag());
            Map<String, String> pushEnv = new HashMap<>(env);
            r.secretEnv().keySet().forEach(pushEnv::remove);
            String digest = push(r, log, ctx, new ProcessRunner.Command(pushCommand(r), r.workDir(), pushEnv,
                    r.timeout(), home));
            return new Image(r.imageTag(), digest);
        } catch (ProcessRunner.NotInstalled e) {
            mayHoldImage = false; // no docker to hold one, nor to remove it
            throw new BuildFailure("docker is not installed on this builder (" + docker + "): run ops/setup-local-builder", e);
        } catch (IOException e) {
            throw new BuildFailure("the Docker engine could not be used: " + e.getMessage(), e);
        } finally {
            // Pushed or not (a refused push, a cancel while pushing), the engine's copy would only
            // fill this node's disk: the registry has the pushed image, BuildKit keeps its own build
            // cache, and a retry builds again. Nobody needs to wait for that.
            if (mayHoldImage) {
                removeLocalImage(r.imageTag(), built);
            }
        }
    }

    /**
     * Pushes, trying again after a failure the registry or the network may get over (connection
     * refused or reset, a timeout, a 5xx); the image is in the engine meanwhile, so a retry only
     * uploads what the registry does not have yet. Returns the digest the registry stored.
     */
    private String push(Request r, BuildLog log, BuildContext ctx, ProcessRunner.Command command)
            throws IOException, InterruptedException, BuildFailure, BuildContext.BuildAbortedException {
        for (int attempt = 1; ; attempt++) {
            OutputTail push = new OutputTail(log::line, 40);
            int exit = runner.run(command, push, ctx);
            if (exit == 0) {
                return digestOf(r.imageTag(), push.lines());
            }
            PushFailures.Verdict verdict = PushFailures.classify(push.lines());
            switch (verdict.kind()) {
                case DISK_FULL -> throw new BuildFailure(PushFailures.diskFullSentence(verdict.line()));
                case DENIED -> throw new BuildFailure(PushFailures.deniedSentence(r.imageTag(), verdict.line()));
                case TRANSIENT -> {
                    if (retry.backOff(attempt, PushRetry.registryOf(r.imageTag()), verdict.reason(), log, ctx)) {
                        continue;
                    }
                    throw new BuildFailure("pushing " + r.imageTag() + " failed: " + verdict.line()
                            + (attempt > 1 ? " (" + attempt + " tries)" : ""));
                }
                default -> throw new BuildFailure("pushing " + r.imageTag() + " failed: "
                        + (verdict.line().isEmpty() ? "see the build log" : verdict.line()));
            }
        }
    }

    private static String digestOf(String tag, List<String> pushOutput) throws BuildFailure {
        String digest = null;
        for (String line : pushOutput) {
            Matcher m = PUSH_DIGEST.matcher(line);
            if (m.find()) {
                digest = m.group(1);
            }
        }
        if (digest == null) {
            throw new BuildFailure("the registry did not report a digest for " + tag);
        }
        return digest;
    }

    /** Never throws: the build's own outcome (or error) is what its caller sees. */
    private void removeLocalImage(String tag, boolean surelyThere) {
        try {
            var removal = runner.runInBackground(new ProcessRunner.Command(List.of(docker, "image", "rm", tag), null,
                    Map.of(), java.time.Duration.ofMinutes(1)));
            removals.put(tag, removal);
            removal.whenComplete((exit, e) -> {
                removals.remove(tag, removal);
                if (exit != null && exit != 0 && surelyThere) {
                    LOG.warn("Removing the image {} from the local engine exited {}", tag, exit);
                }
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not remove the image {} from the local engine", tag, e);
        }
    }

    @Override
    public String describe() {
        return "local Docker engine (" + docker + ")";
    }

    public List<String> versionCommand() {
        return List.of(docker, "version", "--format", "{{.Server.Version}}");
    }
}
