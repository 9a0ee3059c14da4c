package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.ChildProcesses;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * Webhook benchmark (run by ops/bench/webhooks; prints figures, asserts nothing): signed push
 * deliveries at a steady rate against the packaged service on its embedded database, a tenth of
 * them redeliveries, sent open-loop so a slow answer cannot slow the offered load. The build
 * workers are off: this measures the webhook path, not builds.
 */
public final class WebhookBench {

    public static void main(String[] args) throws Exception {
        int rate = Integer.parseInt(System.getProperty("rate", "200"));
        int seconds = Integer.parseInt(System.getProperty("seconds", "60"));
        Path dir = Files.createTempDirectory("rhone-webhook-bench");
        String secret = "bench-secret";
        int port = ChildProcesses.freePort();
        int adminPort = ChildProcesses.freePort();
        List<String> props = List.of("-Ddw.dataDir=" + dir, "-Ddw.server.applicationConnectors[0].port=" + port,
                "-Ddw.server.adminConnectors[0].port=" + adminPort, "-Ddw.github.webhookSecret=" + secret,
                "-Ddw.builds.workerEnabled=false", "-Ddw.logging.level=WARN");
        String config = Path.of("config.yml").toAbsolutePath().toString();
        run(dir, props, "create-team", "--slug", "bench", "--name", "Bench", config);
        run(dir, props, "create-app", "--team", "bench", "--slug", "web", "--repo", "acme/web", "--installation", "42",
                "--branch", "main", config);
        List<String> serviceArgs = new ArrayList<>(props);
        String extra = System.getProperty("serviceJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            serviceArgs.addAll(List.of(extra.split("\\s+"))); // e.g. a flight recording, to see where time goes
        }
        Process service = ChildProcesses.java(dir.resolve("service.log"), serviceArgs,
                "com.vangoframework.rhone.RhoneApplication", "server", config);
        try {
            waitForAdmin(adminPort, dir.resolve("service.log"));
            WebhookSignature signer = new WebhookSignature(secret);
            OpenLoopHttp load = new OpenLoopHttp("127.0.0.1", port, 64);
            // Warm-up, not counted: a running service has its hot code compiled. On two cores the
            // JIT compilers take most of a core for the first two minutes under this load and
            // settle after about three (jstat -compiler), so the default warm-up is four minutes.
            int warmSeconds = Integer.parseInt(System.getProperty("warmupSeconds", "240"));
            Deliveries warm = Deliveries.madeAsSent(signer, port, rate * warmSeconds);
            load.run(warm.requests(), rate);
            Deliveries measured = Deliveries.of(signer, port, rate * seconds);
            Duration cpuBefore = cpu(service);
            Duration dbBefore = databaseCpu(dir);
            String loadBefore = loadAverage();
            long start = System.nanoTime();
            List<OpenLoopHttp.Answer> answers = load.run(measured.requests(), rate);
            double elapsed = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpu(service).toMillis() - cpuBefore.toMillis()) / 1000.0;
            double dbSeconds = (databaseCpu(dir).toMillis() - dbBefore.toMillis()) / 1000.0;
            List<Long> sorted = new ArrayList<>(answers.stream().map(OpenLoopHttp.Answer::micros).toList());
            Collections.sort(sorted);
            long errors = answers.stream().filter(a -> a.status() < 200 || a.status() >= 300).count();
            int total = measured.requests().size();
            System.out.printf("%d deliveries in %.1f s (%.0f/s), %d distinct, %d redeliveries; bodies of %d bytes%n",
                    total, elapsed, total / elapsed, measured.distinct(), total - measured.distinct(),
                    measured.bodyBytes());
            System.out.printf("ack latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f; errors %d%n",
                    pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted.get(sorted.size() - 1) / 1000.0,
                    errors);
            System.out.printf("service CPU while measured: %.2f cores (%.2f ms per delivery), after a %d s warm-up%n",
                    cpuSeconds / elapsed, cpuSeconds * 1000 / total, warmSeconds);
            System.out.printf("embedded PostgreSQL CPU while measured: %.2f cores (%.2f ms per delivery)%n",
                    dbSeconds / elapsed, dbSeconds * 1000 / total);
            System.out.printf("machine load average (1, 5, 15 min) before / after the measured minute: %s / %s%n",
                    loadBefore, loadAverage());
            int warmed = warm.distinct();
            int distinct = measured.distinct();
            System.out.printf("deployments created: %d (expected %d: one per distinct delivery, %d of them in the warm-up)%n",
                    countDeployments(dir), distinct + warmed, warmed);
        } finally {
            service.destroy();
            service.waitFor();
        }
        System.exit(0);
    }

    /** Signed push deliveries, a tenth of them redeliveries of earlier ones (same id, same bytes). */
    record Deliveries(List<byte[]> requests, int distinct, int bodyBytes) {
        /** Made before they are sent, so making them costs the measured minute nothing. */
        static Deliveries of(WebhookSignature signer, int port, int count) {
            List<byte[]> requests = new ArrayList<>(count);
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (i % 10 == 9 && !sent.isEmpty()) {
                    requests.add(sent.get((int) (Math.random() * sent.size())));
                    continue;
                }
                byte[] request = request(signer, port);
                requests.add(request);
                sent.add(request);
            }
            return new Deliveries(requests, sent.size(), bodyBytes(requests));
        }

        /**
         * Made as they are sent (the list is read once, in order), redeliveries taken from the last
         * 10,000: four minutes of warm-up at 1,000/s would not fit in memory made in advance.
         */
        static Deliveries madeAsSent(WebhookSignature signer, int port, int count) {
            List<byte[]> recent = new ArrayList<>();
            List<byte[]> requests = new java.util.AbstractList<>() {
                private int made;

                @Override
                public int size() {
                    return count;
                }

                @Override
                public byte[] get(int i) {
                    if (i % 10 == 9) {
                        return recent.get((int) (Math.random() * recent.size()));
                    }
                    byte[] request = request(signer, port);
                    if (recent.size() < 10_000) {
                        recent.add(request);
                    } else {
                        recent.set(made % 10_000, request);
                    }
                    made++;
                    return request;
                }
            };
            return new Deliveries(requests, count - count / 10, 0); // body size: see the measured set
        }

        private static byte[] request(WebhookSignature signer, int port) {
            byte[] body = push().getBytes(StandardCharsets.UTF_8);
            return OpenLoopHttp.post("/webhooks/github", "127.0.0.1:" + port, List.of(
                    new String[] {"X-GitHub-Event", "push"},
                    new String[] {"X-GitHub-Delivery", UUID.randomUUID().toString()},
                    new String[] {"X-Hub-Signature-256", signer.sign(body)},
                    new String[] {"Content-Type", "application/json"}), body);
        }

        private static int bodyBytes(List<byte[]> requests) {
            byte[] first = requests.get(0);
            String text = new String(first, StandardCharsets.ISO_8859_1);
            return first.length - text.indexOf("\r\n\r\n") - 4;
        }
    }

    /** A push of GitHub's full shape and size (see {@link PushPayloads}) to the app's repository and branch. */
    private static String push() {
        String sha = UUID.randomUUID().toString().replace("-", "") + "abcdef01";
        return PushPayloads.push("acme/web", 42, "main", sha, "Bench: tune the webhook path");
    }

    /** User and system CPU of the whole service process (all its threads, the JIT and GC included). */
    private static Duration cpu(Process process) {
        return process.toHandle().info().totalCpuDuration().orElseThrow();
    }

    /**
     * User and system CPU of the embedded PostgreSQL: its postmaster and the live backends (the
     * pool keeps its connections, so the measured minute's statements run in backends counted
     * before and after).
     */
    private static Duration databaseCpu(Path dir) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(dir.resolve("postgres").resolve("postmaster.pid")).get(0).trim());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(postmaster), postmaster.descendants())
                .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    private static String loadAverage() throws Exception {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    private static long countDeployments(Path dir) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve("embedded-postgres.properties"))) {
            p.load(in);
        }
        String password = Files.readString(dir.resolve("postgres.password")).trim();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + p.getProperty("port")
                + "/postgres", "postgres", password);
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM deployments")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void run(Path dir, List<String> props, String... args) throws Exception {
        Process p = ChildProcesses.java(dir.resolve("cli.log"), props, "com.vangoframework.rhone.RhoneApplication", args);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("rhone " + args[0] + " failed; see " + dir.resolve("cli.log"));
        }
    }

    private static void waitForAdmin(int adminPort, Path log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 600; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ping")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the service did not start; see " + log);
    }

    static double pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1))) / 1000.0;
    }
}
