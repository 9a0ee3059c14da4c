package com.vangoframework.rhone.bench;

import static com.vangoframework.rhone.bench.LiveLogBench.pct;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.web.SessionDao;
import com.vangoframework.rhone.web.Sessions;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Live-log latency as a user sees it (run by ops/bench/log-latency; prints figures, asserts
 * nothing): a real build through the local engine's BuildKit whose {@code RUN} step prints
 * {@code cat /proc/uptime} every ~150 ms for ~20 s, and for each of those lines the kernel's
 * uptime when it reached
 * <ol>
 *   <li>an SSE client of the deployment's log stream, the service (its own JVM, the real
 *       application) having built it: step, docker CLI, service, database, NOTIFY, stream;</li>
 *   <li>the Docker CLI itself ({@code docker build --progress=plain --no-cache} of the same
 *       Dockerfile, its output read line by line): the floor the service cannot go under.</li>
 * </ol>
 * minus the uptime the line carries. A container shares the host's clock, so both are the same
 * clock (CLOCK_BOOTTIME). /proc/uptime shows it in centiseconds, truncated; the arrival side is
 * read to the microsecond ({@link Uptime}), so every figure includes 0 to 10 ms (5 on average) of
 * the printed value's truncation, on both sides alike. Runs alternate, service then CLI,
 * {@code -Druns} times (2) after one unmeasured short build of each; {@code -Dworst=true} also
 * prints which lines took longest inside the service.
 */
public final class LogLatencyBench {

    private static final String DOCKER = "/usr/bin/docker";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A RUN step's output line in plain progress: "#5 0.607 17675.58 19831.39" (the step's timer, then the uptime). */
    private static final Pattern SAMPLE = Pattern.compile("#\\d+ \\d+\\.\\d+ (\\d+)\\.(\\d\\d) \\d+\\.\\d\\d$");

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("runs", 2);
        int samples = Integer.getInteger("samples", 130);
        Path dir = Files.createTempDirectory("rhone-latency-bench");
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("bench");
        String name = "latency-" + UUID.randomUUID().toString().substring(0, 6);
        TestRepo repo = new TestRepo(dir.resolve(name));
        repo.commit("start", Map.of("Dockerfile", dockerfile("start", 1)));
        App app = fx.gitApp(team, name, dir.resolve(name).toUri().toString(), 600);
        long user = jdbi.withExtension(SessionDao.class, dao -> {
            SessionDao.User u = dao.upsertUser("bench");
            dao.addMember(team.id(), u.id());
            return u.id();
        });
        String session = new Sessions(jdbi, Clock.systemUTC()).create(user);
        String token = fx.token(team);
        int port = ChildProcesses.freePort();
        String base = "http://127.0.0.1:" + port;
        Process service = ChildProcesses.java(dir.resolve("service.log"), List.of(
                "-Ddw.database.url=" + db.jdbcUrl(), "-Ddw.database.user=" + db.user(),
                "-Ddw.database.password=" + db.password(), "-Ddw.dataDir=" + dir.resolve("data"),
                "-Ddw.secretKey=" + TestService.SECRET_KEY, "-Ddw.server.applicationConnectors[0].port=" + port,
                "-Ddw.server.adminConnectors[0].port=" + ChildProcesses.freePort(), "-Ddw.logging.level=WARN",
                "-Xmx512m"), "com.vangoframework.rhone.RhoneApplication", "server",
                Path.of("config.yml").toAbsolutePath().toString());
        try {
            BuildBench.waitForLog(dir.resolve("service.log"), "Build queue started");
            Path cliDir = Files.createDirectories(dir.resolve("cli"));
            // Unmeasured: a running service has its code compiled, and the engine its base image at hand.
            serviceRun(jdbi, fx, base, token, session, app, repo, 10, new ArrayList<>());
            cliRun(cliDir, 10);
            List<Long> viaService = new ArrayList<>();
            List<Long> inService = new ArrayList<>();
            List<Long> viaCli = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                List<Long> handed = new ArrayList<>();
                List<Long> s = serviceRun(jdbi, fx, base, token, session, app, repo, samples, handed);
                List<Long> c = cliRun(cliDir, samples);
                System.out.printf("run %d: service %s%n       cli     %s%n", i + 1, figures(s), figures(c));
                if (Boolean.getBoolean("worst")) {
                    // Which lines took longest inside the service, in printing order: apart or together?
                    List<Integer> order = new ArrayList<>();
                    for (int k = 0; k < handed.size(); k++) {
                        order.add(k);
                    }
                    order.sort((a, b) -> Long.compare(handed.get(b), handed.get(a)));
                    StringBuilder worst = new StringBuilder("       slowest inside the service (line: ms):");
                    order.stream().limit(6).sorted().forEach(k -> worst.append(String.format(" %d: %.1f", k,
                            handed.get(k) / 1000.0)));
                    System.out.println(worst);
                }
                viaService.addAll(s);
                inService.addAll(handed);
                viaCli.addAll(c);
            }
            Collections.sort(viaService);
            Collections.sort(viaCli);
            System.out.printf("uptime printed in a RUN step -> line read, all runs (ms):%n");
            System.out.printf("  SSE client of the service  %s%n", figures(viaService));
            System.out.printf("  docker build (the CLI)     %s%n", figures(viaCli));
            System.out.printf("  the service's own share, line handed to its log (the stored time) -> SSE client:%n"
                    + "                             %s%n", figures(inService));
            System.out.printf("  service minus CLI: p50 %+.1f ms  p99 %+.1f ms%n",
                    (pct(viaService, 50) - pct(viaCli, 50)) / 1000.0, (pct(viaService, 99) - pct(viaCli, 99)) / 1000.0);
        } finally {
            service.destroy();
            service.waitFor();
        }
        System.exit(0);
    }

    /**
     * The step: {@code samples} uptimes about 150 ms apart. The nonce makes the step new to
     * BuildKit's cache on every run, so it runs rather than being served from the cache.
     */
    private static String dockerfile(String nonce, int samples) {
        return "FROM local/busybox:1\n"
                + "RUN echo latency " + nonce + "; i=0; while [ $i -lt " + samples + " ]; do cat /proc/uptime; "
                + "sleep 0.15; i=$((i+1)); done\n";
    }

    /** One build through the service's API, watched on its log stream from the request on; microseconds per line. */
    private static List<Long> serviceRun(Jdbi jdbi, Fixtures fx, String base, String token, String session, App app,
                                         TestRepo repo, int samples, List<Long> handed) throws Exception {
        String sha = repo.commit("run", Map.of("Dockerfile", dockerfile(UUID.randomUUID().toString(), samples)));
        HttpResponse<String> deployed = HTTP.send(HttpRequest.newBuilder(
                        URI.create(base + "/api/apps/" + app.slug() + "/deployments"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"commit_sha\":\"" + sha + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (deployed.statusCode() != 201 && deployed.statusCode() != 202) {
            throw new IllegalStateException("deploy answered " + deployed.statusCode() + ": " + deployed.body());
        }
        long id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(deployed.body()).get("id").asLong();
        Uptime clock = Uptime.calibrated();
        List<Long> out = new ArrayList<>();
        HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(
                        URI.create(base + "/apps/" + app.slug() + "/deployments/" + id + "/logs"))
                .header("Cookie", "rhone_session=" + session).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String event = null;
            String line;
            while ((line = in.readLine()) != null) {
                long now = clock.micros();
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ") && "log".equals(event)) {
                    if (sample(line, now, out)) {
                        // The line's stored time: when the service's reader handed it to the log (wall clock).
                        String text = line.substring(6);
                        java.time.Instant stamp = java.time.Instant.parse(text.substring(0, text.indexOf(' ')));
                        handed.add(Duration.between(stamp, java.time.Instant.now()).toNanos() / 1000);
                    }
                } else if (line.isEmpty() && "complete".equals(event)) {
                    break;
                }
            }
        }
        Deployment done = jdbi.onDemand(DeploymentDao.class).findById(id).orElseThrow();
        if (!done.status().dbValue().equals("built")) {
            throw new IllegalStateException("the service's build ended " + done.status().dbValue() + ": "
                    + done.errorMessage());
        }
        return check(out, samples, "the service's log stream");
    }

    /** The same step built by the Docker CLI, its output read as it comes; microseconds per line. */
    private static List<Long> cliRun(Path dir, int samples) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), dockerfile(UUID.randomUUID().toString(), samples));
        String tag = "rhone-latency-bench:cli";
        ProcessBuilder pb = new ProcessBuilder(DOCKER, "build", "--progress=plain", "--no-cache", "--tag", tag, ".")
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("DOCKER_BUILDKIT", "1");
        Uptime clock = Uptime.calibrated();
        List<Long> out = new ArrayList<>();
        Process p = pb.start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                sample(line, clock.micros(), out);
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("docker build exited " + p.exitValue());
        }
        new ProcessBuilder(DOCKER, "image", "rm", tag).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        return check(out, samples, "docker build's output");
    }

    private static boolean sample(String line, long arrivalMicros, List<Long> out) {
        Matcher m = SAMPLE.matcher(line);
        if (!m.find()) {
            return false;
        }
        long printed = Long.parseLong(m.group(1)) * 1_000_000 + Long.parseLong(m.group(2)) * 10_000;
        out.add(arrivalMicros - printed);
        return true;
    }

    private static List<Long> check(List<Long> lines, int samples, String where) {
        if (lines.size() != samples) {
            throw new IllegalStateException(where + " had " + lines.size() + " uptime lines, not " + samples);
        }
        List<Long> sorted = new ArrayList<>(lines);
        Collections.sort(sorted);
        return sorted;
    }

    private static String figures(List<Long> sorted) {
        List<Long> s = new ArrayList<>(sorted);
        Collections.sort(s);
        return String.format("%3d lines: p50 %6.1f  p90 %6.1f  p99 %6.1f  max %6.1f ms", s.size(), pct(s, 50) / 1000.0,
                pct(s, 90) / 1000.0, pct(s, 99) / 1000.0, s.get(s.size() - 1) / 1000.0);
    }

    /**
     * The kernel's uptime (the clock /proc/uptime shows, and a container's RUN step prints) to the
     * microsecond: System.nanoTime (CLOCK_MONOTONIC, which moves with it while the machine does not
     * sleep) plus an offset found by watching /proc/uptime turn to its next centisecond.
     */
    private record Uptime(long offsetNanos) {

        static Uptime calibrated() throws Exception {
            long best = Long.MIN_VALUE;
            for (int i = 0; i < 5; i++) {
                long first = centis();
                long now;
                long seen;
                do {
                    seen = centis();
                    now = System.nanoTime();
                } while (seen == first);
                // The tick came at most one read before `now`: the largest offset is the closest.
                best = Math.max(best, seen * 10_000_000 - now);
            }
            return new Uptime(best);
        }

        long micros() {
            return (System.nanoTime() + offsetNanos) / 1000;
        }

        private static long centis() throws Exception {
            String up = Files.readString(Path.of("/proc/uptime"));
            String first = up.substring(0, up.indexOf(' '));
            int dot = first.indexOf('.');
            return Long.parseLong(first.substring(0, dot)) * 100 + Long.parseLong(first.substring(dot + 1));
        }
    }
}
