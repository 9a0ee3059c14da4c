package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds a plan into an image and pushes it; {@code buildctl} in production, the local Docker engine here. */
public interface ImageBuilder {

    /**
     * One build. {@code secrets} are the app's env vars: they reach the build only as BuildKit
     * secrets ({@code RUN --mount=type=secret,id=NAME}), never as build args (a pull-request build
     * gets none). {@code cacheRef} is the app's registry cache, imported; {@code exportCache} says
     * whether the build may also write it (never a pull request's). {@code auth} is the only
     * registry credential the build carries, written into {@code workDir}, which is private to
     * this build (never a shared path).
     */
    record Request(BuildPlan plan, String imageTag, String cacheRef, boolean exportCache, Map<String, String> secrets,
                   String secretsHash, RegistryAuth auth, Path workDir, Duration timeout) {
        public Request {
            secrets = Map.copyOf(secrets);
            java.util.Objects.requireNonNull(auth, "auth");
        }

        /**
         * The environment of the build client: each secret under a prefixed name, so an app's
         * env var called PATH, LD_PRELOAD or DOCKER_CONFIG cannot change how docker or buildctl
         * itself runs. BuildKit reads the value from there ({@code --secret id=NAME,env=RHONE_SECRET_NAME}).
         */
        public Map<String, String> secretEnv() {
            Map<String, String> env = new java.util.HashMap<>();
            secrets.forEach((name, value) -> env.put(SECRET_ENV_PREFIX + name, value));
            return env;
        }

        public List<String> secretArgs() {
            List<String> args = new java.util.ArrayList<>();
            for (String name : new TreeMap<>(secrets).keySet()) {
                args.add("--secret");
                args.add("id=" + name + ",env=" + SECRET_ENV_PREFIX + name);
            }
            return args;
        }
    }

    String SECRET_ENV_PREFIX = "RHONE_SECRET_";

    record Image(String tag, String digest) {
    }

    /** @param onPushing called once the image is built and the push starts */
    Image build(Request request, BuildLog log, BuildContext ctx, PushingListener onPushing)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException;

    /**
     * As {@link #build(Request, BuildLog, BuildContext, PushingListener)}, feeding BuildKit's
     * progress, as the log stores it (masked), into {@code steps} as it comes; a failure in a step
     * is named by its sentence. A builder without BuildKit progress ignores {@code steps}.
     */
    default Image build(Request request, BuildLog log, BuildContext ctx, PushingListener onPushing, BuildSteps steps)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        return build(request, log, ctx, onPushing);
    }

    @FunctionalInterface
    interface PushingListener {
        void pushing() throws BuildContext.BuildAbortedException;
    }

    /** Short description for logs and health checks. */
    String describe();

    Pattern ERROR_LINE = Pattern.compile("^(?:#\\d+ )?(?:ERROR|error):? ?(.*)$");

    /** The last BuildKit error line of a failed build, as one sentence; a full disk says so first. */
    static String failureSentence(Iterable<String> tail) {
        return failureSentence(tail, null);
    }

    /**
     * As {@link #failureSentence(Iterable)}, naming the step that failed when BuildKit's progress
     * showed one ({@code the image build failed: step [2/2] RUN make failed with exit code 2}).
     * A full disk still says so first, whatever step met it; a failed internal step ({@code
     * [internal] load build definition}, a Dockerfile that does not parse) keeps BuildKit's own
     * error line, which says more than the step's name.
     */
    static String failureSentence(Iterable<String> tail, BuildSteps.Summary steps) {
        var full = PushFailures.diskFullLine(tail);
        if (full.isPresent()) {
            return PushFailures.diskFullSentence(errorLine(tail)
                    .filter(line -> line.toLowerCase(java.util.Locale.ROOT).contains("no space left"))
                    .orElse(full.get()));
        }
        if (steps != null && steps.failed() != null && !steps.failed().internal()) {
            var step = steps.failureSentence();
            if (step.isPresent()) {
                return "the image build failed: " + step.get();
            }
        }
        return errorLine(tail).map(found -> "the image build failed: " + found)
                .orElse("the image build failed: see the build log");
    }

    /** What BuildKit's last error line says ("error: failed to solve: …" without its prefix). */
    static java.util.Optional<String> errorLine(Iterable<String> tail) {
        String found = null;
        for (String line : tail) {
            Matcher m = ERROR_LINE.matcher(line.strip());
            if (m.matches() && !m.group(1).isBlank()) {
                found = m.group(1).strip();
            }
        }
        return java.util.Optional.ofNullable(found);
    }
}
