package com.vangoframework.rhone.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Newcomer;
import com.vangoframework.rhone.testing.TestRepo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Memory benchmark (run by ops/bench/memory; prints figures, asserts nothing): the packaged
 * service started the way ops/run-local starts it (java, the options of ops/jvm.options or
 * JAVA_OPTS, -jar target/rhone.jar) on its embedded database. It prints the JVM's resident memory
 * at idle, then while four Dockerfile builds run (each writing ten log lines a second) and signed
 * push deliveries arrive at 200 a second, with the deliveries' acknowledgement latency.
 */
public final class MemoryBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int rate = Integer.getInteger("rate", 200);
        int seconds = Integer.getInteger("seconds", 60);
        int warmSeconds = Integer.getInteger("warmupSeconds", 120);
        int settle = Integer.getInteger("settleSeconds", 20);
        List<String> options = jvmOptions();
        Path dir = Files.createTempDirectory("rhone-memory-bench");
        int port = ChildProcesses.freePort();
        String jar = Path.of("target/rhone.jar").toAbsolutePath().toString();
        String config = Path.of("config.yml").toAbsolutePath().toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (Newcomer me = new Newcomer(dir, dir.resolve("logs"))) {
            me.env("RHONE_DATA_DIR", dir.resolve("data").toString()).env("RHONE_PORT", String.valueOf(port))
                    .env("RHONE_ADMIN_PORT", String.valueOf(ChildProcesses.freePort()))
                    .env("GITHUB_WEBHOOK_SECRET", "bench-secret")
                    // Both rate limits above the offered load: this measures memory, not refusals.
                    .env("RHONE_WEBHOOK_RATE_PER_ADDRESS", "100000").env("RHONE_WEBHOOK_RATE_OVERALL", "100000");
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(options);
            command.addAll(List.of("-jar", jar, "server", config));
            Newcomer.Background service = me.startInBackground("service", command.toArray(String[]::new));
            Newcomer.awaitLine(service.log(), "rhone is up", Duration.ofMinutes(2));
            long pid = service.process().pid();
            Thread.sleep(settle * 1000L);
            long idle = kb(pid, "VmRSS");
            System.out.printf("JVM options: %s%n", String.join(" ", options));
            System.out.printf("idle after %d s: RSS %d MiB%n", settle, idle / 1024);

            me.ok(java, "-jar", jar, "create-team", "--slug", "bench", "--name", "Bench", config);
            me.ok(java, "-jar", jar, "create-app", "--team", "bench", "--slug", "web", "--repo", "acme/web",
                    "--installation", "42", "--branch", "main", config);
            for (int i = 1; i <= 4; i++) {
                me.ok(java, "-jar", jar, "create-app", "--team", "bench", "--slug", "build" + i, "--git-url",
                        slowBuild(dir.resolve("repos/build" + i), i).toUri().toString(), "--branch", "main", config);
            }
            String token = me.ok(java, "-jar", jar, "create-token", "--team", "bench", config);

            WebhookSignature signer = new WebhookSignature("bench-secret");
            OpenLoopHttp load = new OpenLoopHttp("127.0.0.1", port, 64);
            load.run(WebhookBench.Deliveries.of(signer, port, rate * warmSeconds).requests(), rate);

            String api = "http://127.0.0.1:" + port;
            List<Long> builds = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                builds.add(me.deploy(api, token, "build" + i));
            }
            awaitAllBuilding(api, token, builds);
            long before = kb(pid, "VmRSS");
            PeakSampler peak = new PeakSampler(pid);
            peak.start();
            WebhookBench.Deliveries measured = WebhookBench.Deliveries.of(signer, port, rate * seconds);
            List<OpenLoopHttp.Answer> answers = load.run(measured.requests(), rate);
            peak.interrupt();
            peak.join();
            List<Long> sorted = new ArrayList<>(answers.stream().map(OpenLoopHttp.Answer::micros).toList());
            Collections.sort(sorted);
            long errors = answers.stream().filter(a -> a.status() < 200 || a.status() >= 300).count();
            System.out.printf("4 builds running + %d deliveries/s for %d s (after a %d s warm-up): RSS before %d MiB, "
                            + "peak %d MiB; VmHWM since start %d MiB%n", rate, seconds, warmSeconds, before / 1024,
                    peak.peakKb / 1024, kb(pid, "VmHWM") / 1024);
            System.out.printf("ack latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f; errors %d%n",
                    WebhookBench.pct(sorted, 50), WebhookBench.pct(sorted, 90), WebhookBench.pct(sorted, 99),
                    sorted.get(sorted.size() - 1) / 1000.0, errors);
        }
        System.exit(0);
    }

    /** ops/jvm.options without comments, or JAVA_OPTS when set (as ops/run-local does). */
    static List<String> jvmOptions() throws Exception {
        String env = System.getenv("JAVA_OPTS");
        if (env != null && !env.isBlank()) {
            return List.of(env.trim().split("\\s+"));
        }
        return Files.readAllLines(Path.of("ops/jvm.options")).stream().map(l -> l.replaceAll("#.*", "").trim())
                .filter(l -> !l.isEmpty()).toList();
    }

    /** A Dockerfile build that runs for about 90 s, writing ten log lines a second. */
    private static Path slowBuild(Path dir, int n) throws Exception {
        try (TestRepo repo = new TestRepo(dir)) {
            repo.commit("slow build " + n, Map.of("Dockerfile", "FROM local/busybox:1\n"
                    + "RUN i=0; while [ $i -lt 900 ]; do echo \"build " + n + " " + System.nanoTime()
                    + " line $i of a long log\"; i=$((i+1)); sleep 0.1; done\n"));
        }
        return dir;
    }

    private static void awaitAllBuilding(String api, String token, List<Long> ids) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 600; i++) {
            int building = 0;
            for (long id : ids) {
                String slug = "build" + (ids.indexOf(id) + 1);
                String body = http.send(HttpRequest.newBuilder(URI.create(api + "/api/apps/" + slug + "/deployments/"
                        + id)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
                        .body();
                if (JSON.readTree(body).get("status").asText().equals("building")) {
                    building++;
                }
            }
            if (building == ids.size()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the four builds did not all reach 'building'");
    }

    static long kb(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no " + field + " for process " + pid);
    }

    /** Samples the resident set every 200 ms while the load runs. */
    private static final class PeakSampler extends Thread {
        private final long pid;
        private volatile long peakKb;

        PeakSampler(long pid) {
            this.pid = pid;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!isInterrupted()) {
                    peakKb = Math.max(peakKb, kb(pid, "VmRSS"));
                    Thread.sleep(200);
                }
            } catch (InterruptedException e) {
                // done
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
