package com.vangoframework.rhone.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The local Docker engine through Debian's CLI (/usr/bin/docker, with BuildKit), for tests that
 * build and run images. Arguments are a list, never a shell line.
 */
public final class DockerCli {

    public static final String BINARY = System.getenv().getOrDefault("RHONE_DOCKER", "/usr/bin/docker");

    private DockerCli() {
    }

    /** What a command printed (stdout and stderr together) and how it ended. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String trimmed() {
            return output.strip();
        }
    }

    /** Null when the engine answers; otherwise why it does not. */
    public static String unavailableReason() {
        if (!Files.isExecutable(Path.of(BINARY))) {
            return BINARY + " is not installed";
        }
        try {
            Result info = run(Duration.ofSeconds(20), "info", "--format", "{{.ServerVersion}}");
            return info.ok() ? null : "the Docker engine does not answer: " + info.trimmed();
        } catch (IllegalStateException e) {
            return "the Docker engine does not answer: " + e.getMessage();
        }
    }

    public static boolean imageExists(String image) {
        return run(Duration.ofSeconds(20), "image", "inspect", "--format", "{{.Id}}", image).ok();
    }

    public static Result run(Duration timeout, String... args) {
        return run(timeout, null, Map.of(), null, args);
    }

    /** Fails the test when the command fails, with its output in the message. */
    public static String check(Duration timeout, String... args) {
        Result r = run(timeout, args);
        if (!r.ok()) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed (exit " + r.exitCode() + "): "
                    + r.trimmed());
        }
        return r.trimmed();
    }

    /**
     * Runs {@code docker args...} in {@code dir} (null: the current one) with extra environment,
     * its output also written to {@code log} when given.
     */
    public static Result run(Duration timeout, Path dir, Map<String, String> env, Path log, String... args) {
        List<String> command = new ArrayList<>();
        command.add(BINARY);
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        Path out = null;
        try {
            out = log != null ? log : Files.createTempFile("docker-", ".log");
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("docker " + args[0] + " did not finish within " + timeout
                        + "; output: " + tail(Files.readString(out, StandardCharsets.UTF_8)));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + BINARY, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running docker " + args[0], e);
        } finally {
            if (log == null && out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temporary file; the OS cleans it
                }
            }
        }
    }

    /** The last lines of a long output, for failure messages. */
    public static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
