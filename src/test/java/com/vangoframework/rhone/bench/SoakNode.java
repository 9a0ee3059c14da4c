package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.testing.ChildProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One service node of the soak: the real application in a child JVM on ports chosen once, so that
 * it comes back on the same address after a SIGKILL, with a log file per run.
 */
final class SoakNode {

    private final String name;
    private final Path dir;
    private final List<String> jvm;
    private final int port;
    private final int adminPort;
    private final List<Path> logs = new ArrayList<>();
    private volatile Process process;
    private volatile boolean up;

    SoakNode(String name, Path root, List<String> common) throws IOException {
        this.name = name;
        this.dir = Files.createDirectories(root.resolve(name));
        this.port = ChildProcesses.freePort();
        this.adminPort = ChildProcesses.freePort();
        this.jvm = new ArrayList<>(common);
        jvm.addAll(List.of("-Ddw.dataDir=" + dir.resolve("data"), "-Ddw.builder.workDir=" + dir.resolve("work"),
                "-Ddw.server.applicationConnectors[0].port=" + port,
                "-Ddw.server.adminConnectors[0].port=" + adminPort));
    }

    String name() {
        return name;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    boolean isRunning() {
        Process p = process;
        return up && p != null && p.isAlive();
    }

    /** What its leases say: {@code node-a/2} for node-a's second run (each run is a new node to the queue). */
    String nodeId() {
        return name + "/" + logs.size();
    }

    void start() throws IOException {
        Path log = dir.resolve("service-" + (logs.size() + 1) + ".log");
        logs.add(log);
        List<String> args = new ArrayList<>(jvm);
        args.add("-Ddw.builds.nodeId=" + nodeId());
        process = ChildProcesses.java(log, args, "com.vangoframework.rhone.RhoneApplication", "server",
                Path.of("config.yml").toAbsolutePath().toString());
    }

    /** Until the admin port answers {@code /ping}. */
    void awaitUp(Duration limit) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long until = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited while starting; see " + logs.get(logs.size() - 1));
            }
            try {
                int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ping"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    up = true;
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " did not start in " + limit.toSeconds() + " s; see "
                + logs.get(logs.size() - 1));
    }

    /** SIGKILL: no shutdown hook, no hand-back; its builds are left to the other node's reaper. */
    void kill() throws InterruptedException {
        up = false;
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, and the wait for a clean stop. */
    void stop() throws InterruptedException {
        up = false;
        process.destroy();
        process.waitFor();
    }

    /** How loud its logs were: lines, WARN/ERROR lines and stack traces, over all its runs. */
    String logSummary() throws IOException {
        long lines = 0;
        long loud = 0;
        long traces = 0;
        for (Path log : logs) {
            boolean inTrace = false;
            for (String line : Files.readAllLines(log)) {
                lines++;
                if (line.startsWith("WARN ") || line.startsWith("ERROR ")) {
                    loud++;
                }
                // Dropwizard's console prints a stack trace as lines starting "! ".
                boolean traceLine = line.startsWith("! ");
                if (traceLine && !inTrace) {
                    traces++;
                }
                inTrace = traceLine;
            }
        }
        return String.format("%s log (%d runs): %d lines, %d WARN/ERROR, %d stack traces", name, logs.size(), lines,
                loud, traces);
    }
}
