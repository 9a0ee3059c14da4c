package com.vangoframework.rhone.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A person following the README in a terminal: runs its commands in a working directory with a
 * given environment (no shell: argument lists), starts the service in the background, and talks
 * to the API as the README shows. Used by the tests that run the README's path as written.
 */
public final class Newcomer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FINISHED = Set.of("built", "build_failed", "cancelled");

    public record Run(int exit, String stdout, String stderr) {
        public String lastLine() {
            List<String> lines = stdout.lines().toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }

    private final Path cwd;
    private final Map<String, String> env = new HashMap<>();
    private final Path logs;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> background = new ArrayList<>();
    private int runs;

    /** {@code cwd}: where the person stands; {@code logs}: where each command's output is kept. */
    public Newcomer(Path cwd, Path logs) throws IOException {
        this.cwd = cwd;
        this.logs = Files.createDirectories(logs);
        // A fresh shell: none of the settings a developer's or CI's environment may carry.
        for (String name : List.of("DATABASE_URL", "DATABASE_USER", "DATABASE_PASSWORD", "RHONE_DATA_DIR",
                "RHONE_WORK_DIR", "RHONE_SECRET_KEY", "JAVA_OPTS")) {
            env.put(name, null);
        }
    }

    public Newcomer env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Runs a command to its end (at most {@code limit}). */
    public Run run(Duration limit, String... command) throws IOException, InterruptedException {
        int n = ++runs;
        Path out = logs.resolve(n + ".out");
        Path err = logs.resolve(n + ".err");
        Process p = process(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + limit
                    + "; output so far:\n" + Files.readString(out) + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Runs a command that must succeed; returns its stdout's last line. */
    public String ok(String... command) throws IOException, InterruptedException {
        Run r = run(Duration.ofMinutes(2), command);
        assertThat(r.exit()).as(String.join(" ", command) + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr())
                .isZero();
        return r.lastLine();
    }

    /** A long-running command and the file its output goes to. */
    public record Background(Process process, Path log) {
    }

    /** Starts a long-running command (the service); stopped by {@link #close()}. */
    public Background startInBackground(String name, String... command) throws IOException {
        Path out = logs.resolve(name + ".log");
        Process p = process(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        background.add(p);
        return new Background(p, out);
    }

    /** Waits until the file holds a line containing {@code text}, or fails with the file's content. */
    public static void awaitLine(Path file, String text, Duration limit) throws IOException, InterruptedException {
        Instant end = Instant.now().plus(limit);
        while (Instant.now().isBefore(end)) {
            if (Files.exists(file) && Files.readString(file).contains(text)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no line with '" + text + "' within " + limit + " in " + file + ":\n"
                + (Files.exists(file) ? Files.readString(file) : "(no output)"));
    }

    /** {@code POST /api/apps/{slug}/deployments} as the README shows; returns the new deployment's id. */
    public long deploy(String api, String token, String slug) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/apps/" + slug + "/deployments"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asLong();
    }

    /** Polls the deployment until it finishes; returns its JSON, failing with the stored log if it takes too long. */
    public JsonNode awaitFinished(String api, String token, String slug, long id, Duration limit)
            throws IOException, InterruptedException {
        Instant end = Instant.now().plus(limit);
        JsonNode d;
        do {
            d = JSON.readTree(get(api + "/api/apps/" + slug + "/deployments/" + id, token));
            if (FINISHED.contains(d.get("status").asText())) {
                return d;
            }
            Thread.sleep(500);
        } while (Instant.now().isBefore(end));
        throw new AssertionError("deployment " + id + " still " + d.get("status") + " after " + limit + "; log:\n"
                + log(api, token, slug, id));
    }

    public String log(String api, String token, String slug, long id) throws IOException, InterruptedException {
        return get(api + "/api/apps/" + slug + "/deployments/" + id + "/log", token);
    }

    private String get(String url, String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private ProcessBuilder process(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return pb;
    }

    /** Stops the background commands as Ctrl-C would (SIGTERM), forcibly after 60 s. */
    @Override
    public void close() throws InterruptedException {
        // The service stops its own children (the embedded PostgreSQL) on SIGTERM.
        background.forEach(Process::destroy);
        for (Process p : background) {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }
}
