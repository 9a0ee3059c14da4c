package com.vangoframework.rhone.bench;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.FakeGitHub;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.SseClient;
import com.vangoframework.rhone.testing.TcpProxy;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;

/**
 * Soak benchmark (run by ops/bench/soak; prints figures, asserts nothing). Two real service nodes
 * (child JVMs running RhoneApplication with the real pipeline: JGit over smart HTTP, the local
 * engine's BuildKit, the local registry) share one PostgreSQL, each through its own TCP proxy, and
 * push to the registry through another. For {@code -Dminutes} (10) this JVM
 * <ul>
 * <li>pushes a new commit of a GitHub-linked app and sends its signed push delivery to a node,
 *     redelivering the same delivery (same id, same bytes) until a node records it, as GitHub's
 *     redelivery does;</li>
 * <li>requests deployments of new commits through the API with an {@code Idempotency-Key},
 *     retrying with the same key after a 503 or no answer, as a careful client does;</li>
 * <li>keeps viewers busy: the deployment list through the API, and live log streams;</li>
 * <li>injects faults at seeded random moments ({@code -Dseed}), one at a time: the database
 *     paused (no byte passes, as under SIGSTOP), a node killed with SIGKILL and started again,
 *     the registry refusing connections.</li>
 * </ul>
 * Then it stops the load, lets the queue drain, and counts from the database: every request is a
 * new commit, so a commit with no deployment is a lost request and one with two a duplicate.
 * Every repository builds, so every failure and every attempt past the first was a fault's doing.
 */
public final class SoakBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long INSTALLATION = 4242;
    private static final String SECRET = "soak-secret";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Random random;
    private final Path dir;
    /** Times are counted from the start of the load. */
    private long startNanos = System.nanoTime();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Commit sha to what the requester finally heard. */
    private final Map<String, Request> requests = new ConcurrentHashMap<>();
    private final AtomicInteger streamsOpened = new AtomicInteger();
    private final AtomicLong streamEvents = new AtomicLong();
    private final AtomicInteger streamErrors = new AtomicInteger();
    private volatile boolean loading = true;

    private SoakBench(long seed, Path dir) {
        this.random = new Random(seed);
        this.dir = dir;
    }

    /** An API or webhook call: when it started and ended (ms since the start) and its status (0: no answer). */
    record Call(String kind, long startMs, long endMs, int status) {
    }

    /** A fault's window, in ms since the start. */
    record Fault(String kind, String detail, long startMs, long endMs) {
    }

    /** One logical request (a new commit): how it was sent, how often, and the final answer. */
    static final class Request {
        final String kind;
        final String app;
        volatile int tries;
        volatile String answer = "no answer";
        volatile boolean accepted;

        Request(String kind, String app) {
            this.kind = kind;
            this.app = app;
        }
    }

    public static void main(String[] args) throws Exception {
        double minutes = Double.parseDouble(System.getProperty("minutes", "10"));
        long seed = Long.parseLong(System.getProperty("seed", "42"));
        Path dir = Files.createTempDirectory("rhone-soak");
        new SoakBench(seed, dir).run(Duration.ofSeconds(Math.round(minutes * 60)));
        System.exit(0);
    }

    long now() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private void run(Duration length) throws Exception {
        String token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("soak");
        int webhookApps = Integer.getInteger("webhookApps", 4);
        int apiApps = Integer.getInteger("apiApps", 2);
        List<String> hookSlugs = new ArrayList<>();
        List<String> apiSlugs = new ArrayList<>();
        Map<String, TestRepo> repos = new TreeMap<>();
        try (FakeGitHub github = new FakeGitHub(INSTALLATION, token, "acme/app-0");
             GitServer git = new GitServer(Files.createDirectories(dir.resolve("repos")), token);
             DatabaseProxy dbProxy = new DatabaseProxy(db);
             TcpProxy registry = new TcpProxy("127.0.0.1", 5000)) {
            for (int i = 0; i < webhookApps + apiApps; i++) {
                String repo = "acme/app-" + i;
                String slug = "app-" + i;
                jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), slug, repo, INSTALLATION, null,
                        "main", 600));
                TestRepo r = new TestRepo(dir.resolve("repos").resolve(repo));
                r.commit("start", dockerfile("start " + slug));
                repos.put(slug, r);
                (i < webhookApps ? hookSlugs : apiSlugs).add(slug);
                github.server.stubFor(get(urlEqualTo("/repos/" + repo)).willReturn(aResponse().withStatus(200)
                        .withHeader("Content-Type", "application/json").withBody("{\"id\":" + (100 + i)
                                + ",\"name\":\"app-" + i + "\",\"full_name\":\"" + repo + "\",\"owner\":{\"login\":"
                                + "\"acme\"},\"url\":\"" + github.url() + "/repos/" + repo + "\"}")));
            }
            github.server.stubFor(post(urlMatching("/repos/acme/[^/]+/check-runs")).willReturn(aResponse()
                    .withStatus(201).withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":555,\"name\":\"rhone\"}")));
            github.server.stubFor(patch(urlMatching("/repos/acme/[^/]+/check-runs/\\d+")).willReturn(aResponse()
                    .withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":555,\"name\":\"rhone\"}")));
            Path key = dir.resolve("app.pem");
            Files.writeString(key, appKeyPem());
            DatabaseTarget through = dbProxy.target();
            List<String> common = List.of("-Ddw.database.url=" + through.jdbcUrl(),
                    "-Ddw.database.user=" + through.user(), "-Ddw.database.password=" + through.password(),
                    "-Ddw.secretKey=" + TestService.SECRET_KEY, "-Ddw.github.appId=1",
                    "-Ddw.github.privateKeyFile=" + key, "-Ddw.github.webhookSecret=" + SECRET,
                    "-Ddw.github.apiUrl=" + github.url(), "-Ddw.github.publicUrl=https://rhone.example.test",
                    "-Ddw.builder.gitHubUrl=" + git.url("x").replace("/x.git", ""),
                    "-Ddw.builder.registry=127.0.0.1:" + registry.port(),
                    "-Ddw.dashboard.deploysPerMinute=10000", "-Xmx384m");
            List<SoakNode> nodes = List.of(new SoakNode("node-a", dir, common), new SoakNode("node-b", dir, common));
            for (SoakNode n : nodes) {
                n.start();
            }
            for (SoakNode n : nodes) {
                n.awaitUp(Duration.ofSeconds(90));
            }
            String apiToken = fx.token(team);
            DashboardClient dashboard = new DashboardClient(nodes.get(0).url(), jdbi);
            System.out.printf("soak: %d s, seed %s, nodes %s, %d webhook apps, %d API apps; work in %s%n",
                    length.toSeconds(), System.getProperty("seed", "42"), nodes.stream().map(SoakNode::name).toList(),
                    webhookApps, apiApps, dir);

            ExecutorService load = Executors.newCachedThreadPool();
            startNanos = System.nanoTime();
            long endMs = now() + length.toMillis();
            load.submit(() -> loop(endMs, Long.getLong("pushEveryMs", 4000), () -> {
                String slug = pick(hookSlugs);
                webhook(nodes, slug, repos.get(slug));
            }));
            load.submit(() -> loop(endMs, Long.getLong("deployEveryMs", 6000), () -> {
                String slug = pick(apiSlugs);
                deploy(nodes, slug, repos.get(slug), apiToken);
            }));
            for (int v = 0; v < Integer.getInteger("viewers", 4); v++) {
                String session = dashboard.session(team, "viewer-" + v);
                load.submit(() -> loop(endMs, 1000, () -> view(nodes, pick(apiSlugs.isEmpty() ? hookSlugs : apiSlugs),
                        apiToken, session, jdbi)));
            }
            injectFaults(endMs, nodes, dbProxy, registry, jdbi);
            loading = false;
            load.shutdown();
            load.awaitTermination(3, TimeUnit.MINUTES);
            long drainStart = now();
            boolean drained = drain(jdbi, Duration.ofMinutes(Long.getLong("drainMinutes", 5)));
            System.out.printf("load stopped; the queue %s in %d s%n", drained ? "drained" : "did NOT drain",
                    (now() - drainStart) / 1000);
            report(jdbi, nodes);
            for (SoakNode n : nodes) {
                n.stop();
            }
            load.shutdownNow();
        } finally {
            repos.values().forEach(TestRepo::close);
        }
    }

    /** A throwaway App key, PKCS#8 PEM (the fake GitHub accepts any signature). */
    private static String appKeyPem() throws Exception {
        var generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        byte[] der = generator.generateKeyPair().getPrivate().getEncoded();
        return "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END PRIVATE KEY-----\n";
    }

    private String pick(List<String> from) {
        synchronized (random) {
            return from.get(random.nextInt(from.size()));
        }
    }

    private long between(long min, long max) {
        synchronized (random) {
            return min + (long) (random.nextDouble() * (max - min));
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private void loop(long endMs, long everyMs, Step step) {
        while (now() < endMs) {
            long started = now();
            try {
                step.run();
            } catch (Exception e) {
                System.out.println("load step failed: " + e);
            }
            long rest = everyMs - (now() - started);
            if (rest > 0) {
                sleep(rest);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Map<String, String> dockerfile(String nonce) {
        return Map.of("Dockerfile", "FROM local/busybox:1\nRUN echo " + nonce + " > /nonce && ls /bin > /bins\n",
                "app.txt", nonce + "\n");
    }

    private String commit(TestRepo repo, String slug) throws Exception {
        synchronized (repo) {
            return repo.commit("soak change", dockerfile(slug + " " + UUID.randomUUID()));
        }
    }

    /** One push: redelivered (same id, same bytes, any node) until a node records it, for up to 5 minutes. */
    private void webhook(List<SoakNode> nodes, String slug, TestRepo repo) throws Exception {
        String sha = commit(repo, slug);
        Request r = new Request("webhook", slug);
        requests.put(sha, r);
        byte[] body = PushPayloads.push("acme/" + slug, INSTALLATION, "main", sha, "soak change")
                .getBytes(StandardCharsets.UTF_8);
        String delivery = UUID.randomUUID().toString();
        String signature = new WebhookSignature(SECRET).sign(body);
        send(r, 5, 40, () -> HttpRequest.newBuilder(URI.create(pickNode(nodes).url() + "/webhooks/github"))
                .timeout(Duration.ofSeconds(10)).header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", delivery).header("X-Hub-Signature-256", signature)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** One API request, retried with the same Idempotency-Key after a 503 or no answer. */
    private void deploy(List<SoakNode> nodes, String slug, TestRepo repo, String token) throws Exception {
        String sha = commit(repo, slug);
        Request r = new Request("api", slug);
        requests.put(sha, r);
        String key = UUID.randomUUID().toString();
        send(r, 5, 40, () -> HttpRequest.newBuilder(URI.create(pickNode(nodes).url() + "/api/apps/" + slug
                        + "/deployments")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"commit_sha\":\"" + sha + "\"}")).build());
    }

    interface RequestMaker {
        HttpRequest make();
    }

    /** Sends until a definite answer (2xx, or a 4xx other than 429), pausing {@code pauseSeconds} between tries. */
    private void send(Request r, int pauseSeconds, int maxTries, RequestMaker maker) {
        for (int attempt = 1; attempt <= maxTries; attempt++) {
            r.tries = attempt;
            HttpRequest request = maker.make();
            long start = now();
            int status = 0;
            String body = "";
            try {
                HttpResponse<String> answer = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                status = answer.statusCode();
                body = answer.body();
            } catch (Exception e) {
                body = e.getClass().getSimpleName();
            } finally {
                calls.add(new Call(r.kind, start, now(), status));
            }
            if (status >= 200 && status < 300) {
                r.accepted = true;
                r.answer = status + " " + outcome(body);
                return;
            }
            r.answer = status == 0 ? "no answer (" + body + ")" : status + " " + outcome(body);
            if (status >= 400 && status < 500 && status != 429 && status != 408) {
                return;
            }
            sleep(pauseSeconds * 1000L);
        }
    }

    private static String outcome(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json.has("outcome")) {
                return json.get("outcome").asText();
            }
            if (json.has("message")) {
                return json.get("message").asText();
            }
            return json.has("status") ? json.get("status").asText() : "";
        } catch (Exception e) {
            return body.length() > 80 ? body.substring(0, 80) : body;
        }
    }

    private SoakNode pickNode(List<SoakNode> nodes) {
        List<SoakNode> up = nodes.stream().filter(SoakNode::isRunning).toList();
        return up.isEmpty() ? nodes.get(0) : up.get((int) between(0, up.size()));
    }

    /** A viewer: the app's deployments through the API, and now and then a live log followed for a while. */
    private void view(List<SoakNode> nodes, String slug, String token, String session, Jdbi jdbi) {
        SoakNode node = pickNode(nodes);
        long start = now();
        int status = 0;
        try {
            status = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/api/apps/" + slug + "/deployments"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            status = 0;
        } finally {
            calls.add(new Call("view", start, now(), status));
        }
        if (between(0, 10) != 0) {
            return;
        }
        Long running = jdbi.withHandle(h -> h.createQuery("SELECT max(id) FROM deployments WHERE status IN "
                + "('cloning', 'analyzing', 'building', 'pushing')").mapTo(Long.class).findOne().orElse(null));
        if (running == null) {
            return;
        }
        String app = jdbi.withHandle(h -> h.createQuery("SELECT a.slug FROM deployments d JOIN apps a ON a.id = d.app_id "
                + "WHERE d.id = ?").bind(0, running).mapTo(String.class).one());
        try (SseClient sse = SseClient.open(node.url() + "/apps/" + app + "/deployments/" + running + "/logs", session,
                null)) {
            streamsOpened.incrementAndGet();
            if (sse.status() != 200) {
                streamErrors.incrementAndGet();
                return;
            }
            long until = now() + 20_000;
            while (now() < until) {
                if (sse.next(25) == null) {
                    return;
                }
                streamEvents.incrementAndGet();
            }
        } catch (Exception | AssertionError e) {
            streamErrors.incrementAndGet();
        }
    }

    /**
     * One fault at a time, each kind in turn in a seeded shuffled order, 20–50 s apart, the first
     * after 30 s; none starts in the last minute, so the end shows how the service recovered.
     */
    private void injectFaults(long endMs, List<SoakNode> nodes, DatabaseProxy db, TcpProxy registry, Jdbi jdbi)
            throws Exception {
        List<String> kinds = new ArrayList<>(List.of("database paused", "node killed", "registry stopped"));
        sleep(Math.min(30_000, Math.max(0, endMs - now())));
        int next = kinds.size();
        while (now() < endMs - 60_000) {
            if (next == kinds.size()) {
                synchronized (random) {
                    Collections.shuffle(kinds, random);
                }
                next = 0;
            }
            String kind = kinds.get(next++);
            long start = now();
            long length = Math.min(between(10_000, 40_000), Math.max(5_000, endMs - 45_000 - start));
            String detail;
            switch (kind) {
                case "database paused" -> {
                    db.pause();
                    sleep(length);
                    db.resume();
                    detail = length / 1000 + " s";
                }
                case "registry stopped" -> {
                    registry.cut();
                    sleep(length);
                    registry.restore();
                    detail = length / 1000 + " s";
                }
                default -> {
                    SoakNode victim = victim(nodes, jdbi);
                    victim.kill();
                    long down = between(5_000, 15_000);
                    sleep(down);
                    victim.start();
                    victim.awaitUp(Duration.ofSeconds(90));
                    detail = victim.name() + ", down " + down / 1000 + " s, back after " + (now() - start) / 1000 + " s";
                }
            }
            faults.add(new Fault(kind, detail, start, now()));
            System.out.printf("%4d s: %s (%s)%n", start / 1000, kind, detail);
            sleep(Math.max(0, Math.min(between(20_000, 50_000), endMs - now())));
        }
        sleep(Math.max(0, endMs - now()));
    }

    /** A node that is building right now if there is one (a kill then costs a build), else either. */
    private SoakNode victim(List<SoakNode> nodes, Jdbi jdbi) {
        List<String> building = jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT lease_owner FROM deployments "
                + "WHERE status IN ('cloning', 'analyzing', 'building', 'pushing') AND lease_owner IS NOT NULL")
                .mapTo(String.class).list());
        List<SoakNode> busy = nodes.stream().filter(n -> building.contains(n.nodeId()))
                .toList();
        List<SoakNode> from = busy.isEmpty() ? nodes : busy;
        return from.get((int) between(0, from.size()));
    }

    /** Until no request is still being retried and every deployment has ended, or {@code limit}. */
    private boolean drain(Jdbi jdbi, Duration limit) {
        long until = now() + limit.toMillis();
        while (now() < until) {
            long open = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM deployments WHERE status IN "
                    + "('pending', 'cloning', 'analyzing', 'building', 'pushing')").mapTo(Long.class).one());
            if (open == 0) {
                return true;
            }
            sleep(1000);
        }
        return false;
    }

    private void report(Jdbi jdbi, List<SoakNode> nodes) throws Exception {
        Map<String, List<Map<String, Object>>> rows = new TreeMap<>();
        for (Map<String, Object> row : jdbi.withHandle(h -> h.createQuery("SELECT commit_sha, status, attempt, "
                + "coalesce(error_message, '') AS error_message FROM deployments").mapToMap().list())) {
            rows.computeIfAbsent((String) row.get("commit_sha"), k -> new ArrayList<>()).add(row);
        }
        int requested = requests.size();
        long accepted = requests.values().stream().filter(r -> r.accepted).count();
        Map<String, Integer> refused = new TreeMap<>();
        int lost = 0;
        int duplicated = 0;
        for (var e : requests.entrySet()) {
            List<Map<String, Object>> made = rows.getOrDefault(e.getKey(), List.of());
            if (made.size() > 1) {
                duplicated++;
            }
            if (made.isEmpty()) {
                if (e.getValue().accepted && !e.getValue().answer.contains("ignored")) {
                    lost++;
                    System.out.println("LOST: " + e.getValue().kind + " " + e.getValue().app + " " + e.getKey()
                            + " answered " + e.getValue().answer);
                } else {
                    refused.merge(e.getValue().kind + ": " + e.getValue().answer, 1, Integer::sum);
                }
            }
        }
        Map<String, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> failures = new TreeMap<>();
        long extraAttempts = 0;
        long stuck = 0;
        for (var list : rows.values()) {
            for (var row : list) {
                String status = (String) row.get("status");
                byStatus.merge(status, 1, Integer::sum);
                extraAttempts += Math.max(0, ((Number) row.get("attempt")).intValue() - 1);
                if (!List.of("built", "build_failed", "cancelled").contains(status)) {
                    stuck++;
                }
                String error = (String) row.get("error_message");
                if (!error.isEmpty()) {
                    failures.merge(status + ": " + error.replaceAll("127\\.0\\.0\\.1:\\d+", "<registry>")
                            .replaceAll("\\b[0-9a-f]{12,64}\\b", "<sha>").replaceAll("\\d+", "N"), 1, Integer::sum);
                }
            }
        }
        long retried = requests.values().stream().filter(r -> r.tries > 1).count();
        System.out.printf("requests: %d (%d by webhook, %d by API), %d accepted, %d needed more than one try%n",
                requested, requests.values().stream().filter(r -> r.kind.equals("webhook")).count(),
                requests.values().stream().filter(r -> r.kind.equals("api")).count(), accepted, retried);
        refused.forEach((why, n) -> System.out.printf("  no deployment, by the answer: %d x %s%n", n, why));
        System.out.printf("deployments: %s%n", byStatus);
        failures.forEach((why, n) -> System.out.printf("  %d x %s%n", n, why));
        System.out.printf("lost: %d (target 0); duplicated: %d (target 0); still unfinished after the drain: %d%n",
                lost, duplicated, stuck);
        System.out.printf("spent by faults (every repository builds, so each is a fault's doing): %d attempts past "
                + "the first, %d builds failed%n", extraAttempts, byStatus.getOrDefault("build_failed", 0));
        for (Fault f : faults) {
            System.out.printf("fault at %d s for %d s: %s (%s)%n", f.startMs() / 1000,
                    (f.endMs() - f.startMs()) / 1000, f.kind(), f.detail());
        }
        latency("outside fault windows (and 10 s after each)", false);
        latency("inside fault windows", true);
        System.out.printf("live log streams opened: %d, events received: %d, streams that failed: %d%n",
                streamsOpened.get(), streamEvents.get(), streamErrors.get());
        for (SoakNode n : nodes) {
            System.out.println(n.logSummary());
        }
    }

    private boolean inFault(Call c) {
        return faults.stream().anyMatch(f -> c.startMs() < f.endMs() + 10_000 && c.endMs() > f.startMs());
    }

    private void latency(String label, boolean inside) {
        for (String kind : List.of("api", "view", "webhook")) {
            List<Call> these = calls.stream().filter(c -> c.kind().equals(kind) && inFault(c) == inside).toList();
            if (these.isEmpty()) {
                continue;
            }
            List<Long> ms = these.stream().map(c -> c.endMs() - c.startMs()).sorted().toList();
            long ok = these.stream().filter(c -> c.status() >= 200 && c.status() < 300).count();
            long unavailable = these.stream().filter(c -> c.status() == 503).count();
            long none = these.stream().filter(c -> c.status() == 0).count();
            System.out.printf("%s, %s calls: %d (%d 2xx, %d 503, %d no answer); ms p50 %d, p99 %d, max %d%n", label,
                    kind, these.size(), ok, unavailable, none, pct(ms, 50), pct(ms, 99), ms.get(ms.size() - 1));
        }
    }

    private static long pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
