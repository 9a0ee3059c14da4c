package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds and pushes in one {@code buildctl build} against the rhone-builder BuildKit daemon over
 * mTLS. The digest comes from {@code --metadata-file} ({@code containerimage.digest}); the
 * per-app registry cache is imported, and exported next to the image unless the request says not
 * to (a pull request's build may read the app's cache but never write it).
 */
public final class BuildctlImageBuilder implements ImageBuilder {

    /** buildctl's connection: tcp address and the client's mTLS files (empty: plain, for a local socket). */
    public record Daemon(String buildctl, String addr, String caCert, String cert, String key) {
    }

    private final Daemon daemon;
    private final String railpackFrontend;
    private final ProcessRunner runner;
    private final ObjectMapper json;
    private final PushRetry retry;

    public BuildctlImageBuilder(Daemon daemon, String railpackFrontend, ProcessRunner runner, ObjectMapper json) {
        this(daemon, railpackFrontend, runner, json, PushRetry.defaults());
    }

    public BuildctlImageBuilder(Daemon daemon, String railpackFrontend, ProcessRunner runner, ObjectMapper json,
                                PushRetry retry) {
        this.daemon = daemon;
        this.railpackFrontend = railpackFrontend;
        this.runner = runner;
        this.json = json;
        this.retry = retry;
    }

    List<String> connection() {
        List<String> args = new ArrayList<>(List.of(daemon.buildctl(), "--addr", daemon.addr()));
        if (!daemon.caCert().isEmpty()) {
            args.addAll(List.of("--tlscacert", daemon.caCert(), "--tlscert", daemon.cert(), "--tlskey", daemon.key()));
        }
        return args;
    }

    List<String> buildCommand(Request r, Path metadataFile) {
        List<String> args = connection();
        args.addAll(List.of("build", "--progress=plain"));
        if (r.plan().kind() == BuildPlan.Kind.RAILPACK) {
            args.addAll(List.of("--frontend", "gateway.v0", "--opt", "source=" + railpackFrontend));
        } else {
            args.addAll(List.of("--frontend", "dockerfile.v0"));
        }
        args.addAll(List.of("--local", "context=" + r.plan().contextDir(),
                "--local", "dockerfile=" + r.plan().planDir(),
                "--opt", "build-arg:secrets-hash=" + r.secretsHash()));
        args.addAll(r.secretArgs());
        args.addAll(List.of("--output", "type=image,name=" + r.imageTag() + ",push=true",
                "--import-cache", "type=registry,ref=" + r.cacheRef()));
        if (r.exportCache()) {
            args.addAll(List.of("--export-cache", "type=registry,ref=" + r.cacheRef() + ",mode=max"));
        }
        args.addAll(List.of("--metadata-file", metadataFile.toString()));
        return args;
    }

    public List<String> healthCommand() {
        List<String> args = connection();
        args.addAll(List.of("debug", "workers"));
        return args;
    }

    @Override
    public Image build(Request r, BuildLog log, BuildContext ctx, PushingListener onPushing)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        return build(r, log, ctx, onPushing, new BuildSteps());
    }

    /**
     * {@code steps} hears buildctl's {@code --progress=plain} (the same text the log keeps). A run
     * again after a registry failure numbers its vertices from 1 again: its lines go on into the
     * same steps, which keep each vertex's first finish (the steps it solves again are cached).
     */
    @Override
    public Image build(Request r, BuildLog log, BuildContext ctx, PushingListener onPushing, BuildSteps steps)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        Path metadata = r.workDir().resolve("buildctl-metadata.json");
        Map<String, String> env = new HashMap<>(r.secretEnv());
        try {
            env.put("DOCKER_CONFIG", r.auth().writeDockerConfig(r.workDir()).toString());
            // BuildKit pushes inside the solve; its progress says when ("#12 pushing layers").
            java.util.concurrent.atomic.AtomicBoolean pushing = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.function.Consumer<String> progress = line -> {
                log.line(line);
                if (line.contains("pushing layers") && pushing.compareAndSet(false, true)) {
                    try {
                        onPushing.pushing();
                    } catch (BuildContext.BuildAbortedException aborted) {
                        // The abort has already killed buildctl; the runner reports it.
                    }
                }
            };
            ProcessRunner.Command command = new ProcessRunner.Command(buildCommand(r, metadata), r.workDir(), env,
                    r.timeout(), ProcessRunner.homeIn(r.workDir()));
            for (int attempt = 1; ; attempt++) {
                if (attempt > 1) {
                    steps.newRun(); // numbered from #1 again; the failed run's error is not the build's
                }
                OutputTail out = new OutputTail(progress, 40);
                int exit;
                log.tap(steps::acceptPlain); // the masked lines, as stored: the steps never hold a secret
                try {
                    exit = runner.run(command, out, ctx);
                } finally {
                    log.tap(null);
                }
                if (exit == 0) {
                    break;
                }
                retryOrFail(r, out.lines(), attempt, log, ctx, steps.summary());
            }
            if (pushing.compareAndSet(false, true)) {
                onPushing.pushing();
            }
            return new Image(r.imageTag(), digestFrom(metadata));
        } catch (ProcessRunner.NotInstalled e) {
            throw new BuildFailure("buildctl is not installed on this node (" + daemon.buildctl()
                    + "): install it, or set RHONE_BUILDER=docker", e);
        } catch (IOException e) {
            throw new BuildFailure("BuildKit could not be used: " + e.getMessage(), e);
        }
    }

    /**
     * After a failed solve: returns (having waited) when it is worth running again, else throws its
     * failure. Only a failure of the push or cache export to the registry, or of the cache import,
     * is run again, and only when it is one the registry or network may get over. The daemon keeps
     * the solved steps in its cache, so running buildctl again rebuilds nothing and pushes again.
     * A failed build step ({@code did not complete successfully}) is never retried, whatever its
     * output said.
     */
    private void retryOrFail(Request r, List<String> tail, int attempt, BuildLog log, BuildContext ctx,
                             BuildSteps.Summary steps)
            throws BuildFailure, InterruptedException, BuildContext.BuildAbortedException {
        String error = ImageBuilder.errorLine(tail).orElse("");
        String registry = PushRetry.registryOf(r.imageTag());
        boolean registryStep = !error.contains("did not complete successfully") && (error.contains("failed to push")
                || error.contains("export") || error.contains(registry + "/"));
        if (!registryStep || PushFailures.diskFullLine(tail).isPresent()) {
            // A build step's failure names the step; a registry's keeps the sentences below.
            throw new BuildFailure(ImageBuilder.failureSentence(tail, steps));
        }
        PushFailures.Verdict verdict = PushFailures.classify(List.of(error));
        if (verdict.kind() == PushFailures.Kind.DENIED) {
            throw new BuildFailure(PushFailures.deniedSentence(r.imageTag(), error));
        }
        if (verdict.kind() == PushFailures.Kind.TRANSIENT) {
            if (retry.backOff(attempt, registry, verdict.reason(), log, ctx)) {
                return;
            }
            throw new BuildFailure(ImageBuilder.failureSentence(tail)
                    + (attempt > 1 ? " (" + attempt + " tries)" : ""));
        }
        throw new BuildFailure(ImageBuilder.failureSentence(tail));
    }

    String digestFrom(Path metadata) throws BuildFailure {
        try {
            JsonNode node = json.readTree(Files.readString(metadata));
            JsonNode digest = node.get("containerimage.digest");
            if (digest == null || !digest.asText().matches("sha256:[0-9a-f]{64}")) {
                throw new BuildFailure("BuildKit's metadata has no image digest: the push may not have happened");
            }
            return digest.asText();
        } catch (IOException e) {
            throw new BuildFailure("BuildKit wrote no readable metadata file: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "BuildKit at " + daemon.addr();
    }
}
