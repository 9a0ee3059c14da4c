package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.threads.NamedThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Build benchmark (run by ops/bench/build; prints figures, asserts nothing):
 * <ol>
 * <li>the same small Dockerfile repo built through the service (a separate JVM running the real
 *     application) and by a plain script (git clone --depth 1, docker build, docker push),
 *     interleaved, each run on a fresh commit so neither is served from BuildKit's cache;</li>
 * <li>the service's peak RSS while it runs 4 builds at once.</li>
 * </ol>
 */
public final class BuildBench {

    private static final String DOCKER = "/usr/bin/docker";
    private static final String REGISTRY = "127.0.0.1:5000";
    /** When each service request was sent, for the "api" phase. */
    private static final Map<Long, java.time.Instant> SENT = new java.util.HashMap<>();

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(System.getProperty("runs", "15"));
        int warmups = Integer.parseInt(System.getProperty("warmups", "150"));
        Path dir = Files.createTempDirectory("rhone-build-bench");
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        var team = fx.team("bench");
        List<App> apps = new ArrayList<>();
        List<TestRepo> repos = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "bench-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
            TestRepo repo = new TestRepo(dir.resolve(name));
            repo.commit("start", dockerfile("start"));
            repos.add(repo);
            apps.add(fx.gitApp(team, name, dir.resolve(name).toUri().toString(), 600));
        }
        int port = ChildProcesses.freePort();
        int adminPort = ChildProcesses.freePort();
        ServiceApi api = new ServiceApi("http://127.0.0.1:" + port, fx.token(team));
        List<String> jvm = new ArrayList<>(List.of(
                "-Ddw.database.url=" + db.jdbcUrl(), "-Ddw.database.user=" + db.user(),
                "-Ddw.database.password=" + db.password(), "-Ddw.dataDir=" + dir.resolve("data"),
                "-Ddw.secretKey=" + TestService.SECRET_KEY, "-Ddw.server.applicationConnectors[0].port=" + port,
                "-Ddw.server.adminConnectors[0].port=" + adminPort, "-Ddw.logging.level=WARN", "-Xmx512m",
                "-Ddw.dashboard.deploysPerMinute=10000")); // the API's pace per token and app: runs back to back
        String extra = System.getProperty("serviceJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            jvm.addAll(List.of(extra.split("\\s+"))); // e.g. a flight recording, to see where time goes
        }
        Process service = ChildProcesses.java(dir.resolve("service.log"), jvm,
                "com.vangoframework.rhone.RhoneApplication", "server", Path.of("config.yml").toAbsolutePath().toString());
        try {
            waitForLog(dir.resolve("service.log"), "Build queue started");
            // Warm-up, not counted: a long-running service has its code compiled by the JIT.
            for (int i = 0; i < warmups; i++) {
                serviceBuild(jdbi, api, fx, apps.get(0), repos.get(0));
                if (i < 3) {
                    scriptBuild(dir, apps.get(1), repos.get(1), new java.util.HashMap<>());
                }
            }

            List<Long> serviceIds = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            List<Long> serviceMs = new ArrayList<>();
            List<Long> scriptMs = new ArrayList<>();
            Map<String, List<Long>> scriptPhases = new java.util.LinkedHashMap<>();
            for (int i = 0; i < runs; i++) {
                long s = serviceBuild(jdbi, api, fx, apps.get(0), repos.get(0));
                serviceIds.add(lastId(jdbi));
                long p = scriptBuild(dir, apps.get(1), repos.get(1), scriptPhases);
                serviceMs.add(s);
                scriptMs.add(p);
                ratios.add((double) s / p);
                System.out.printf("run %2d: service %5d ms, script %5d ms, ratio %.2f%n", i + 1, s, p, (double) s / p);
            }
            System.out.printf("median: service %d ms, script %d ms; median ratio service/script %.2f%n",
                    median(serviceMs), median(scriptMs), medianD(ratios));
            printPhases(jdbi, serviceIds);
            StringBuilder script = new StringBuilder("script phases, median ms:");
            scriptPhases.forEach((name, values) -> script.append(' ').append(name).append(' ').append(median(values)));
            System.out.println(script);
            if (Boolean.getBoolean("showLog")) {
                long last = lastId(jdbi);
                String times = jdbi.withHandle(h -> h.createQuery(
                        "SELECT created_at || ' created, ' || build_started_at || ' claimed, ' || build_finished_at || ' finished' "
                        + "FROM deployments WHERE id = ?").bind(0, last).mapTo(String.class).one());
                System.out.println(times);
                var flusher = NamedThreads.scheduled("rhone-log-flusher"); // unused: this store only reads
                System.out.println(new com.vangoframework.rhone.logs.LogStore(
                        jdbi.onDemand(com.vangoframework.rhone.logs.LogChunkDao.class), 1 << 24,
                        java.time.Clock.systemUTC(), flusher).read(last));
                NamedThreads.stopNow(flusher, java.time.Duration.ofSeconds(5));
            }

            long idleKb = rssKb(service.pid(), "VmRSS");
            List<Deployment> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String sha = repos.get(i).commit("concurrent", dockerfile("c-" + UUID.randomUUID()));
                long id = api.deploy(apps.get(i), sha);
                four.add(jdbi.onDemand(DeploymentDao.class).findById(id)
                        .orElseThrow());
            }
            long peakKb = idleKb;
            while (four.stream().anyMatch(d -> !fx.reload(d).status().isBuildFinished())) {
                peakKb = Math.max(peakKb, rssKb(service.pid(), "VmRSS"));
                Thread.sleep(100);
            }
            long statuses = four.stream().filter(d -> fx.reload(d).status().dbValue().equals("built")).count();
            System.out.printf("4 concurrent builds (%d built): service RSS before %d MiB, sampled peak %d MiB, "
                    + "VmHWM since start %d MiB%n", statuses, idleKb / 1024, peakKb / 1024,
                    rssKb(service.pid(), "VmHWM") / 1024);
        } finally {
            service.destroy();
            service.waitFor();
        }
        System.exit(0);
    }

    private static long lastId(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT max(id) FROM deployments").mapTo(Long.class).one());
    }

    /**
     * Where the service's time goes, median over the counted runs, from the row's timestamps and
     * the stored log's line times: api (the HTTP request sent to its transaction's start), queue
     * (request to claim), setup (claim to the first log line),
     * clone (JGit fetch and checkout), analysis, build and push (the docker processes), wrap-up
     * (the last log line to the recorded outcome).
     */
    private static void printPhases(Jdbi jdbi, List<Long> ids) {
        var flusher = NamedThreads.scheduled("rhone-log-flusher"); // unused: this store only reads
        var logs = new com.vangoframework.rhone.logs.LogStore(
                jdbi.onDemand(com.vangoframework.rhone.logs.LogChunkDao.class), 1 << 24, java.time.Clock.systemUTC(),
                flusher);
        NamedThreads.stopNow(flusher, java.time.Duration.ofSeconds(5));
        Map<String, List<Long>> phases = new java.util.LinkedHashMap<>();
        for (String name : List.of("api", "queue", "setup", "clone", "analysis", "build", "push", "wrap-up")) {
            phases.put(name, new ArrayList<>());
        }
        for (long id : ids) {
            List<java.time.Instant> row = jdbi.withHandle(h -> h.createQuery(
                    "SELECT created_at, build_started_at, build_finished_at FROM deployments WHERE id = ?")
                    .bind(0, id).map((rs, c) -> List.of(rs.getTimestamp(1).toInstant(), rs.getTimestamp(2).toInstant(),
                            rs.getTimestamp(3).toInstant())).one());
            Map<String, java.time.Instant> lines = new java.util.HashMap<>();
            for (String line : logs.read(id).split("\n")) {
                int space = line.indexOf(' ');
                String text = line.substring(space + 1);
                java.time.Instant at = java.time.Instant.parse(line.substring(0, space));
                for (String key : List.of("Deployment ", "Fetching ", "Checked out ", "Detected", "Pushing ", "Pushed ")) {
                    if (text.startsWith(key)) {
                        lines.putIfAbsent(key, at);
                    }
                }
            }
            phases.get("api").add(millis(SENT.get(id), row.get(0)));
            phases.get("queue").add(millis(row.get(0), row.get(1)));
            phases.get("setup").add(millis(row.get(1), lines.get("Deployment ")));
            phases.get("clone").add(millis(lines.get("Fetching "), lines.get("Checked out ")));
            phases.get("analysis").add(millis(lines.get("Checked out "), lines.get("Detected")));
            phases.get("build").add(millis(lines.get("Detected"), lines.get("Pushing ")));
            phases.get("push").add(millis(lines.get("Pushing "), lines.get("Pushed ")));
            phases.get("wrap-up").add(millis(lines.get("Pushed "), row.get(2)));
        }
        StringBuilder out = new StringBuilder("service phases, median ms:");
        phases.forEach((name, values) -> out.append(' ').append(name).append(' ').append(median(values)));
        System.out.println(out);
    }

    private static long millis(java.time.Instant from, java.time.Instant to) {
        return java.time.Duration.between(from, to).toMillis();
    }

    private static Map<String, String> dockerfile(String nonce) {
        return Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + nonce + " > /nonce && ls /bin > /bins\n",
                "app.txt", nonce + "\n");
    }

    /**
     * One build through the service, requested the way people and GitHub request them: through
     * its HTTP API, so the request's transaction and its wake-up of the queue run in the service.
     * Waits until the engine no longer holds the pushed image (the service removes it in the
     * background), so that clean-up never overlaps the next timed run of either side.
     */
    private static long serviceBuild(Jdbi jdbi, ServiceApi api, Fixtures fx, App app, TestRepo repo)
            throws Exception {
        String sha = repo.commit("service run", dockerfile("s-" + UUID.randomUUID()));
        // From the moment the request is sent (the API's authentication and lookups count) to the
        // recorded end, by the database's clock: the same machine's clock, without polling error.
        java.time.Instant sent = java.time.Instant.now();
        long id = api.deploy(app, sha);
        SENT.put(id, sent);
        Deployment d = jdbi.onDemand(DeploymentDao.class).findById(id).orElseThrow();
        // The watcher looks rarely, to keep its own load off the two cores the build runs on.
        while (!fx.reload(d).status().isBuildFinished()) {
            Thread.sleep(250);
        }
        Deployment done = fx.reload(d);
        if (!done.status().dbValue().equals("built")) {
            throw new IllegalStateException("service build failed: " + done.errorMessage());
        }
        awaitImageGone(done.imageTag());
        return jdbi.withHandle(h -> h.createQuery(
                "SELECT (extract(epoch FROM build_finished_at - :sent) * 1000)::bigint FROM deployments WHERE id = :id")
                .bind("sent", java.time.OffsetDateTime.ofInstant(sent, java.time.ZoneOffset.UTC)).bind("id", d.id())
                .mapTo(Long.class).one());
    }

    /** Until the engine no longer has the image; a slow removal or an engine error stops the benchmark. */
    private static void awaitImageGone(String tag) throws Exception {
        for (int i = 0; i < 100; i++) {
            Process p = new ProcessBuilder(DOCKER, "image", "inspect", "--format", "{{.Id}}", tag)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int exit = p.waitFor();
            if (exit != 0 && out.contains("No such image")) {
                return;
            }
            if (exit != 0) {
                throw new IllegalStateException("docker image inspect " + tag + " failed: " + out.strip());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the service had not removed " + tag + " from the engine after 10 s");
    }

    private static long scriptBuild(Path dir, App app, TestRepo repo, Map<String, List<Long>> phases) throws Exception {
        String sha = repo.commit("script run", dockerfile("p-" + UUID.randomUUID()));
        Path checkout = dir.resolve("script-" + sha);
        String tag = REGISTRY + "/" + app.slug() + ":" + sha.substring(0, 12);
        long start = System.nanoTime();
        run(dir, List.of("git", "clone", "--quiet", "--depth", "1", app.gitUrl(), checkout.toString()));
        long cloned = System.nanoTime();
        run(dir, List.of(DOCKER, "build", "--quiet", "--tag", tag, checkout.toString()));
        long built = System.nanoTime();
        run(dir, List.of(DOCKER, "push", "--quiet", tag));
        long end = System.nanoTime();
        phases.computeIfAbsent("clone", k -> new ArrayList<>()).add((cloned - start) / 1_000_000);
        phases.computeIfAbsent("build", k -> new ArrayList<>()).add((built - cloned) / 1_000_000);
        phases.computeIfAbsent("push", k -> new ArrayList<>()).add((end - built) / 1_000_000);
        run(dir, List.of("rm", "-rf", checkout.toString()));
        run(dir, List.of(DOCKER, "image", "rm", tag)); // as the service does, outside the timing
        return (end - start) / 1_000_000;
    }

    /** The service's JSON API, as a user's script would call it. */
    private record ServiceApi(String base, String token) {
        private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

        long deploy(App app, String sha) throws Exception {
            var response = HTTP.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(base + "/api/apps/" + app.slug() + "/deployments"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"commit_sha\":\"" + sha + "\"}"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201 && response.statusCode() != 202) {
                throw new IllegalStateException("deploy answered " + response.statusCode() + ": " + response.body());
            }
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).get("id").asLong();
        }
    }


    private static void run(Path dir, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("DOCKER_BUILDKIT", "1");
        int exit = pb.start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + exit);
        }
    }

    private static long rssKb(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    static void waitForLog(Path log, String text) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the service did not start; see " + log);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : Math.round((sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0);
    }

    private static double medianD(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
