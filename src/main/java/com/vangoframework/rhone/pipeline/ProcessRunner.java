package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.threads.NamedThreads;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs an external program for a build: an argument list (never a shell), a clean environment
 * (the service's own secrets such as database passwords are not inherited), output merged and
 * streamed line by line (at most {@link #MAX_LINE_CHARS} of each line kept), a time limit, and an
 * abort that ends the whole process tree.
 *
 * <p>{@code HOME} is never the service's: a build's programs get a private, empty {@code home}
 * inside the build's own work directory ({@link #homeIn}), so nothing under the service user's
 * home ({@code ~/.docker/config.json} with its registry logins, {@code ~/.config}, caches) reaches
 * a build, and docker falls back to no credentials when Rhone wrote none. Programs that belong to
 * no build (removing a pushed image, the health probe) get the runner's own empty home.
 * {@code XDG_RUNTIME_DIR} (the service user's sockets: a rootless engine, an ssh agent) is never passed.
 */
public final class ProcessRunner {

    /** Inherited from the service's environment when set; nothing else is. */
    private static final List<String> PASSED_THROUGH = List.of("PATH", "LANG", "LC_ALL", "TMPDIR", "DOCKER_HOST");

    /**
     * The most of one output line that is kept; the rest of a longer line is read and dropped.
     * Above the build log's own cut (16 Ki characters), because the log masks secrets before it
     * cuts: a secret that starts before the log's cut is still whole here.
     */
    static final int MAX_LINE_CHARS = 64 * 1024;

    /** The name of a build's home directory inside its work directory. */
    static final String HOME_DIR = "home";

    private final Path idleHome;
    private final Map<String, String> serviceEnv;

    /** @param idleHome the HOME of programs that belong to no build; made (mode 700) when first used */
    public ProcessRunner(Path idleHome) {
        this(idleHome, System.getenv());
    }

    /** {@code serviceEnv} stands in for the service's own environment (tests give it a HOME of their own). */
    ProcessRunner(Path idleHome, Map<String, String> serviceEnv) {
        this.idleHome = idleHome.toAbsolutePath();
        this.serviceEnv = Map.copyOf(serviceEnv);
    }

    /** The private HOME of a build whose work directory is {@code buildWorkDir}. */
    public static Path homeIn(Path buildWorkDir) {
        return buildWorkDir.resolve(HOME_DIR);
    }

    /** The program could not be started at all (not installed, not executable). */
    public static final class NotInstalled extends IOException {
        public NotInstalled(String program, IOException cause) {
            super(program + " could not be started", cause);
        }
    }

    /** What to run; {@code home} null: the runner's own empty home (for programs that belong to no build). */
    public record Command(List<String> args, Path workDir, Map<String, String> env, Duration timeout, Path home) {
        public Command {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }

        public Command(List<String> args, Path workDir, Map<String, String> env, Duration timeout) {
            this(args, workDir, env, timeout, null);
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
    public CompletableFuture<Integer> runInBackground(Command command) throws IOException {
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

    ProcessBuilder processBuilder(Command command) throws IOException {
        Path home = command.home() == null ? idleHome : command.home().toAbsolutePath();
        makePrivateDir(home);
        ProcessBuilder builder = new ProcessBuilder(command.args())
                .directory(command.workDir() == null ? null : command.workDir().toFile())
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.clear();
        for (String name : PASSED_THROUGH) {
            if (serviceEnv.containsKey(name)) {
                env.put(name, serviceEnv.get(name));
            }
        }
        env.putAll(command.env());
        // Last, so no caller's map can put the service's home (or a runtime dir) back.
        env.put("HOME", home.toString());
        env.remove("XDG_RUNTIME_DIR");
        return builder;
    }

    private static void makePrivateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another process of the same build made it meanwhile; anything but a directory is refused
                if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("the home directory " + dir + " exists and is not a directory", raced);
                }
            }
        }
        // The umask may have narrowed the mode further; it never widens it. Make it exactly 700.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
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
        try (InputStreamReader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
            BoundedLineReader reader = new BoundedLineReader(in, MAX_LINE_CHARS);
            String line;
            while ((line = reader.next()) != null) {
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
