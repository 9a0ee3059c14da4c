package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Decides how to build a checkout: its own Dockerfile when it has one at the root, otherwise a
 * plan from {@code railpack prepare}. Railpack's error text reaches the user as it wrote it.
 */
public final class RailpackAnalyzer {

    public static final String PLAN_FILE = "railpack-plan.json";
    public static final String INFO_FILE = "railpack-info.json";
    static final String NOT_INSTALLED = "railpack is not installed on this builder: install it or add a Dockerfile";

    private final String railpackBinary;
    private final ProcessRunner runner;
    private final ObjectMapper json;
    private final Duration timeout;

    public RailpackAnalyzer(String railpackBinary, ProcessRunner runner, ObjectMapper json, Duration timeout) {
        this.railpackBinary = railpackBinary;
        this.runner = runner;
        this.json = json;
        this.timeout = timeout;
    }

    /** The exact command line; {@code planDir} is outside the checkout so the plan never enters the build context. */
    List<String> prepareCommand(Path source, Path planDir) {
        return List.of(railpackBinary, "prepare", source.toString(),
                "--plan-out", planDir.resolve(PLAN_FILE).toString(),
                "--info-out", planDir.resolve(INFO_FILE).toString());
    }

    public BuildPlan analyze(Path source, Path planDir, BuildLog log, BuildContext ctx)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException {
        if (isDockerfile(source, log)) {
            return BuildPlan.dockerfile(source);
        }
        int exit;
        try {
            Files.createDirectories(planDir);
            // planDir is the build's work dir's "plan" (see ImagePipeline): the home sits beside it.
            exit = runner.run(new ProcessRunner.Command(prepareCommand(source, planDir), source, Map.of(), timeout,
                    ProcessRunner.homeIn(planDir.toAbsolutePath().getParent())), log::line, ctx);
        } catch (ProcessRunner.NotInstalled e) {
            throw new BuildFailure(NOT_INSTALLED, e);
        } catch (IOException e) {
            throw new BuildFailure("railpack could not be run: " + e.getMessage(), e);
        }
        return interpret(exit, source, planDir, log);
    }

    /**
     * A regular {@code Dockerfile} at the root, read without following links. A {@code Dockerfile}
     * that is a link counts only when it resolves to a regular file inside the checkout (the
     * checkout already refused links out of it; this holds if that ever changes): BuildKit resolves
     * such a link inside its own context, and the local engine builds it.
     */
    private static boolean isDockerfile(Path source, BuildLog log) throws BuildFailure {
        Path dockerfile = source.resolve("Dockerfile");
        if (CheckoutGuard.isPlainFile(dockerfile)) {
            log.line("Detected: Dockerfile");
            return true;
        }
        if (!Files.isSymbolicLink(dockerfile)) {
            return false;
        }
        try {
            Path target = Files.readSymbolicLink(dockerfile);
            Path real = dockerfile.toRealPath(); // metadata only: where the link leads, not what it holds
            if (target.isAbsolute() || !real.startsWith(source.toRealPath())) {
                throw new BuildFailure("Dockerfile is a symlink to " + CheckoutGuard.printable(target.toString())
                        + ", outside the repository");
            }
            if (!CheckoutGuard.isPlainFile(real)) {
                return false;
            }
            log.line("Detected: Dockerfile (a symlink to " + CheckoutGuard.printable(target.toString()) + ")");
            return true;
        } catch (IOException e) {
            return false; // dangling, or a loop: there is no Dockerfile to build
        }
    }

    BuildPlan interpret(int exit, Path source, Path planDir, BuildLog log) throws BuildFailure {
        Path infoFile = planDir.resolve(INFO_FILE);
        RailpackInfo info = null;
        if (Files.isRegularFile(infoFile)) {
            try {
                info = RailpackInfo.read(infoFile, json);
            } catch (IOException e) {
                throw new BuildFailure("railpack wrote an info file rhone cannot read: " + e.getMessage(), e);
            }
        }
        if (info != null && !info.detectedProviders().isEmpty()) {
            log.line("Detected: " + String.join(", ", info.detectedProviders()));
        }
        boolean planned = exit == 0 && (info == null || info.success()) && Files.isRegularFile(planDir.resolve(PLAN_FILE));
        if (!planned) {
            String errors = info == null ? "" : info.errors();
            if (!errors.isEmpty()) {
                throw new BuildFailure("railpack could not build a plan: " + errors.replace("\n", " "));
            }
            throw new BuildFailure("railpack could not build a plan (exit " + exit
                    + "): see the log, and add a Dockerfile or a railpack.json");
        }
        return BuildPlan.railpack(source, planDir);
    }
}
