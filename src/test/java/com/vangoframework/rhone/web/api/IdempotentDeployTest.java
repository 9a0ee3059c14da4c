package com.vangoframework.rhone.web.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.IdempotencyKey;
import com.vangoframework.rhone.deployments.IdempotencyKeyDao;
import com.vangoframework.rhone.deployments.IdempotencyKeyPurge;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import com.vangoframework.rhone.testing.TestThreads;
import io.dropwizard.testing.ConfigOverride;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Idempotency-Key} on {@code POST /api/apps/{slug}/deployments} (issue 14), against the
 * running service and its real database: a retry gets the first answer and creates nothing, a
 * reused key for another request is refused, keys are one team's and one app's, concurrent
 * requests with one key create one deployment, hostile keys are refused, and keys expire after
 * 24 hours. Each test has apps of its own (requests of one app supersede each other) and a token
 * of its own (the pace is counted per token and app). No worker: rows stay as they were made.
 */
class IdempotentDeployTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger APPS = new AtomicInteger();
    private static final int PER_MINUTE = 3;
    private static TestService service;
    private static Jdbi jdbi;
    private static Fixtures fx;
    private static Team acme;
    private static Team globex;

    @TempDir
    static Path dataDir;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        fx = new Fixtures(jdbi);
        acme = fx.team("acme");
        globex = fx.team("globex");
        service = new TestService(db, dataDir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false"),
                ConfigOverride.config("dashboard.deploysPerMinute", Integer.toString(PER_MINUTE))).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    @Test
    void hostileKeys_are400WithASentence_andWriteNothing() throws Exception {
        App app = newApp(acme);
        String token = fx.token(acme);
        String path = "/api/apps/" + app.slug() + "/deployments";
        List<String> hostile = List.of(
                "Idempotency-Key: " + "k".repeat(IdempotencyKey.MAX_LENGTH + 1),
                "Idempotency-Key: a\tb",
                "Idempotency-Key: a\u0001b",
                "Idempotency-Key: a\u007fb",
                "Idempotency-Key: caf\u00e9",
                "Idempotency-Key: one\r\nIdempotency-Key: two",
                "Idempotency-Key: ");
        for (String header : hostile) {
            Raw answer = raw("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\n" + header + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            assertThat(answer.status()).as(header).isEqualTo(400);
            assertThat(JSON.readTree(answer.body()).get("message").asText()).as(header).isNotBlank();
        }
        assertThat(rows("deployments", app)).isZero();
        assertThat(rows("idempotency_keys", app)).isZero();

        // The sentences, for the cases a client library lets through.
        assertThat(message(post(app, token, "k".repeat(IdempotencyKey.MAX_LENGTH + 1), null)))
                .isEqualTo("Idempotency-Key must be 1 to 255 characters long");
        assertThat(message(post(app, token, "a\tb", null))).startsWith(
                "Idempotency-Key may contain only printable ASCII characters");
        // The longest key is a key.
        assertThat(post(app, token, "k".repeat(IdempotencyKey.MAX_LENGTH), null).statusCode()).isEqualTo(201);
    }

    @Test
    void sameKeyTwice_createsOneDeployment_andAnswersTheSameBothTimes() throws Exception {
        App app = newApp(acme);
        String token = fx.token(acme);
        String sha = "ab".repeat(20);

        HttpResponse<String> first = post(app, token, "deploy-1", sha);
        HttpResponse<String> retry = post(app, token, "deploy-1", sha);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue(DeploymentResource.REPLAYED)).isEmpty();
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue(DeploymentResource.REPLAYED)).hasValue("true");
        assertThat(JSON.readTree(retry.body())).isEqualTo(JSON.readTree(first.body()));
        assertThat(rows("deployments", app)).isEqualTo(1);
        assertThat(rows("idempotency_keys", app)).isEqualTo(1);
    }

    @Test
    void sameKey_withAnotherRequest_is422_andCreatesNothing() throws Exception {
        App app = newApp(acme);
        String token = fx.token(acme);
        assertThat(post(app, token, "deploy-2", "ab".repeat(20)).statusCode()).isEqualTo(201);

        HttpResponse<String> otherCommit = post(app, token, "deploy-2", "cd".repeat(20));
        HttpResponse<String> branchHead = post(app, token, "deploy-2", null);

        for (HttpResponse<String> refused : List.of(otherCommit, branchHead)) {
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(message(refused)).isEqualTo("this Idempotency-Key was used for a different request to this "
                    + "app in the last 24 hours; a new request needs a new key");
        }
        assertThat(rows("deployments", app)).isEqualTo(1);
    }

    @Test
    void sameKey_inAnotherTeamOrApp_isAnotherKey_andNeverRevealsTheFirst() throws Exception {
        App web = newApp(acme);
        App api = newApp(acme);
        App shop = newApp(globex);
        String acmeToken = fx.token(acme);
        String globexToken = fx.token(globex);

        long a = id(post(web, acmeToken, "shared", null));
        long b = id(post(api, acmeToken, "shared", null));
        HttpResponse<String> theirs = post(shop, globexToken, "shared", null);
        HttpResponse<String> intoOurs = post(web, globexToken, "shared", null);

        assertThat(theirs.statusCode()).isEqualTo(201);
        assertThat(theirs.headers().firstValue(DeploymentResource.REPLAYED)).isEmpty();
        assertThat(List.of(a, b, id(theirs))).doesNotHaveDuplicates();
        assertThat(intoOurs.statusCode()).isEqualTo(404);
        assertThat(intoOurs.body()).doesNotContain(Long.toString(a));
        assertThat(rows("deployments", web)).isEqualTo(1);
        assertThat(rows("deployments", shop)).isEqualTo(1);
    }

    @Test
    void concurrentRequestsWithOneKey_createOneDeployment_andAllGetIt() throws Exception {
        App app = newApp(acme);
        int n = 8;
        List<String> tokens = new ArrayList<>(); // one each: the pace is per token, the key per team
        for (int i = 0; i < n; i++) {
            tokens.add(fx.token(acme));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (String token : tokens) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return post(app, token, "together", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> new Thread(runnable, "idempotency-test-client").start()));
        }
        go.countDown();

        List<Long> ids = new ArrayList<>();
        int firsts = 0;
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(201);
            ids.add(id(r));
            firsts += r.headers().firstValue(DeploymentResource.REPLAYED).isEmpty() ? 1 : 0;
        }
        assertThat(ids).containsOnly(ids.get(0));
        assertThat(firsts).isEqualTo(1);
        assertThat(rows("deployments", app)).isEqualTo(1);
        assertThat(rows("idempotency_keys", app)).isEqualTo(1);
    }

    /**
     * The race itself, made certain: another request holds the key in a transaction that has not
     * committed. The request waits at the key, and once the other commits it answers with that one's
     * deployment and rolls its own back.
     */
    @Test
    void aRequestBehindAnUncommittedOneWithItsKey_answersWithThatDeployment_andCreatesNone() throws Exception {
        App app = newApp(acme);
        NewDeployment request = NewDeployment.manual(app.id(), app.branch(), null);
        IdempotencyKey key = IdempotencyKey.of(acme.id(), request, "in-flight");
        DeploymentService deployments = new DeploymentService(jdbi);
        try (Handle first = jdbi.open()) {
            first.begin();
            Deployment firstOne = DeploymentService.insert(first, request);
            assertThat(first.attach(IdempotencyKeyDao.class).claim(key, firstOne.id(),
                    IdempotencyKey.LIFETIME.toSeconds())).isTrue();

            CompletableFuture<DeploymentService.Requested> second = CompletableFuture.supplyAsync(
                    () -> deployments.request(request, key), runnable -> new Thread(runnable, "second-request").start());
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnALock() > 0);
            assertThat(second).isNotDone();
            first.commit();

            DeploymentService.Requested answer = second.get(10, TimeUnit.SECONDS);
            assertThat(answer.replayed()).isTrue();
            assertThat(answer.deployment().id()).isEqualTo(firstOne.id());
        }
        assertThat(rows("deployments", app)).isEqualTo(1);
    }

    @Test
    void aRetry_spendsNoneOfThePace() throws Exception {
        App app = newApp(acme);
        String token = fx.token(acme);
        for (int i = 0; i < PER_MINUTE; i++) {
            assertThat(post(app, token, "paced-" + i, null).statusCode()).isEqualTo(201);
        }

        HttpResponse<String> retry = post(app, token, "paced-0", null);
        HttpResponse<String> fresh = post(app, token, "paced-new", null);

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue(DeploymentResource.REPLAYED)).hasValue("true");
        assertThat(fresh.statusCode()).isEqualTo(429);
        assertThat(rows("deployments", app)).isEqualTo(PER_MINUTE);
    }

    @Test
    void aKeyOlderThan24Hours_countsForNothing_andIsPurged() throws Exception {
        App app = newApp(acme);
        String token = fx.token(acme);
        long first = id(post(app, token, "yesterday", null));
        age(app, "yesterday", "25 hours");

        HttpResponse<String> again = post(app, token, "yesterday", "ef".repeat(20));

        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.headers().firstValue(DeploymentResource.REPLAYED)).isEmpty();
        assertThat(id(again)).isNotEqualTo(first);
        assertThat(id(post(app, token, "yesterday", "ef".repeat(20)))).as("the key now names the new one")
                .isEqualTo(id(again));

        long kept = id(post(app, token, "recent", null));
        age(app, "yesterday", "25 hours");
        age(app, "recent", "23 hours");
        IdempotencyKeyPurge purge = new IdempotencyKeyPurge(jdbi.onDemand(IdempotencyKeyDao.class),
                threads.scheduled("idempotency-purge-test"), Duration.ofHours(1));
        assertThat(purge.runOnce()).isEqualTo(1);
        List<String> left = jdbi.withHandle(h -> h.createQuery(
                "SELECT idempotency_key FROM idempotency_keys WHERE app_id = ?").bind(0, app.id()).mapTo(String.class).list());
        assertThat(left).containsExactly("recent");
        assertThat(id(post(app, fx.token(acme), "recent", null))).isEqualTo(kept);
    }

    // --- helpers

    private static App newApp(Team team) {
        return fx.app(team, "idem-" + APPS.incrementAndGet());
    }

    private static HttpResponse<String> post(App app, String token, String key, String sha) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(service.url() + "/api/apps/" + app.slug()
                        + "/deployments")).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(sha == null ? "" : "{\"commit_sha\": \"" + sha + "\"}"));
        if (key != null) {
            b.header(DeploymentResource.IDEMPOTENCY_KEY, key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long id(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asLong();
    }

    private static String message(HttpResponse<String> r) throws Exception {
        JsonNode body = JSON.readTree(r.body());
        return body.get("message").asText();
    }

    private static long rows(String table, App app) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + table + " WHERE app_id = ?")
                .bind(0, app.id()).mapTo(Long.class).one());
    }

    /** Time travel: the key was recorded {@code ago}. */
    private static void age(App app, String key, String ago) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE idempotency_keys SET created_at = now() - CAST(:ago AS interval) "
                        + "WHERE app_id = :app AND idempotency_key = :key")
                .bind("ago", ago).bind("app", app.id()).bind("key", key).execute());
    }

    private static long waitingOnALock() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM pg_stat_activity "
                + "WHERE datname = current_database() AND wait_event_type = 'Lock'").mapTo(Long.class).one());
    }

    private record Raw(int status, String body) {
    }

    /** A request written byte for byte: an HTTP client would refuse or mend most hostile headers. */
    private static Raw raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", URI.create(service.url()).getPort())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int split = response.indexOf("\r\n\r\n");
            String body = response.substring(split + 4);
            if (response.substring(0, split).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                StringBuilder joined = new StringBuilder();
                for (int at = 0; ; ) {
                    int eol = body.indexOf("\r\n", at);
                    int size = Integer.parseInt(body.substring(at, eol).trim(), 16);
                    if (size == 0) {
                        break;
                    }
                    joined.append(body, eol + 2, eol + 2 + size);
                    at = eol + 2 + size + 2;
                }
                body = joined.toString();
            }
            return new Raw(status, body);
        }
    }
}
