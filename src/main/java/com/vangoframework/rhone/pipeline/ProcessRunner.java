package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.threads.NamedThreads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs an external program for a build: an argument list (never a shell), a clean environment
 * (the service's own secrets such as database passwords are not inherited), output merged and
 * streamed line by line, a time limit, and an abort that ends the whole process tree.
 */
public final class ProcessRunner {

    /** Inherited from the service's environment when set; nothing else is. */
    private static final List<String> PASSED_THROUGH = List.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR",
            "DOCKER_HOST", "XDG_RUNTIME_DIR");

    /** The program could not be started at all (not installed, not executable). */
    public static final class NotInstalled extends IOException {
        public NotInstalled(String program, IOException cause) {
            super(program + " could not be started", cause);
        }
    }

    /** What to run. */
    public record Command(List<String> args, Path workDir, Map<String, String> env, Duration timeout) {
        public Command {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    /**
     * Runs the command to its end and returns its exit code.
     *
     * @throws BuildContext.BuildAbortedException if the build was aborted meanwhile (the tree is killed first)
     * @throws BuildFailure if the program ran past its time limit
     */
    public int run(Command command, Consumer<String> lines, BuildContext ctx)
            throws IOException, InterruptedException, BuildFailure, BuildContext.BuildAbortedException {
        ProcessBuilder builder = processBuilder(command);
        ctx.throwIfAborted();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new NotInstalled(command.args().get(0), e);
        }
        ctx.onAbort(() -> killTree(process));
        Thread reader = NamedThreads.thread("rhone-output-" + process.pid(), () -> pump(process, lines));
        reader.start();
        try {
            boolean exited = process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                killTree(process);
                throw new BuildFailure(programName(command) + " did not finish within " + describe(command.timeout()));
            }
            finishReading(process, reader);
            ctx.throwIfAborted();
            return process.exitValue();
        } catch (InterruptedException e) {
            killTree(process);
            ctx.throwIfAborted();
            throw e;
        } finally {
            if (process.isAlive()) {
                killTree(process);
            }
            // Every line the program printed is in the log before the caller writes its own
            // verdict ("Build cancelled.", "error: ..."): output never trails the outcome.
            finishReading(process, reader);
        }
    }

    /**
     * Starts housekeeping that no build waits for (removing a pushed image from the engine, say):
     * output discarded, killed after its time limit. The future completes with the exit code.
     */
    public CompletableFuture<Integer> runInBackground(Command command) throws NotInstalled {
        ProcessBuilder builder = processBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new NotInstalled(command.args().get(0), e);
        }
        return process.onExit()
                .orTimeout(command.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((p, timedOut) -> {
                    if (timedOut != null) {
                        killTree(process);
                        return -1;
                    }
                    return p.exitValue();
                });
    }

    private static ProcessBuilder processBuilder(Command command) {
        ProcessBuilder builder = new ProcessBuilder(command.args())
                .directory(command.workDir() == null ? null : command.workDir().toFile())
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        Map<String, String> inherited = Map.copyOf(env);
        env.clear();
        for (String name : PASSED_THROUGH) {
            if (inherited.containsKey(name)) {
                env.put(name, inherited.get(name));
            }
        }
        env.putAll(command.env());
        return builder;
    }

    /**
     * Waits for the reader to drain the pipe. A grandchild that escaped the kill may still hold
     * the pipe open; after a short wait the pipe is closed from our side so the reader ends.
     */
    private static void finishReading(Process process, Thread reader) {
        boolean interrupted = Thread.interrupted();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(2));
            if (reader.isAlive()) {
                process.getInputStream().close();
                reader.join(TimeUnit.SECONDS.toMillis(2));
            }
        } catch (InterruptedException | IOException e) {
            // best effort: the reader is a daemon thread and ends with the pipe
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String describe(Duration d) {
        return d.toSeconds() < 60 ? d.toSeconds() + " seconds" : d.toMinutes() + " minutes";
    }

    private static String programName(Command command) {
        return Path.of(command.args().get(0)).getFileName().toString();
    }

    private static void pump(Process process, Consumer<String> lines) {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    lines.accept(line);
                } catch (RuntimeException e) {
                    // Never stop draining: a program blocked on a full pipe would hang the build.
                    org.slf4j.LoggerFactory.getLogger(ProcessRunner.class).warn("Handling an output line failed", e);
                }
            }
        } catch (IOException e) {
            // The process was killed and its pipe closed: nothing more to read.
        }
    }

    /** Takes the tree before anything dies (orphans get re-parented and would escape), then kills it all. */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }
}
