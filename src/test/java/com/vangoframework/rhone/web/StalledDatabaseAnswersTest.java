package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that stops answering (issue 14), made by a proxy between the service and the shared
 * test PostgreSQL that stops forwarding: connections are accepted, nothing comes back, as when the
 * server is paused with SIGSTOP. With short configured bounds every door of the service answers
 * while it lasts (the health check unhealthy, the API, pages, streams and webhooks 503 with
 * {@code Retry-After}), and everything works again once it answers. Each request here waits at
 * most {@link #NO_ANSWER} for its answer, far past the configured bounds: before the bounds, every
 * one of them waited for as long as the database was paused.
 */
class StalledDatabaseAnswersTest {

    private static final Duration NO_ANSWER = Duration.ofSeconds(20);
    private static final String SECRET = "stall-secret";
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DatabaseProxy proxy;
    private static TestService service;
    private static Jdbi jdbi;
    private static String token;
    private static String session;

    @TempDir
    static Path dataDir;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db); // the test's own way in, beside the proxy
        Fixtures fx = new Fixtures(jdbi);
        Team acme = fx.team("acme");
        fx.app(acme, "web");
        token = fx.token(acme);
        proxy = new DatabaseProxy(db);
        service = new TestService(proxy.target(), dataDir, new ScriptedPipeline(),
                ConfigOverride.config("database.checkoutTimeout", "1s"),
                ConfigOverride.config("database.connectTimeout", "1s"),
                ConfigOverride.config("database.socketTimeout", "3s"),
                ConfigOverride.config("database.statementTimeout", "2s"),
                ConfigOverride.config("database.healthCheckTimeout", "1s"),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("dashboard.deploysPerMinute", "1000")).start();
        session = new DashboardClient(service.url(), jdbi).session(acme, "ann");
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.resume();
        service.stop();
        proxy.close();
    }

    /** Whatever a test left, the next one starts with a database that answers and a service that sees it. */
    @AfterEach
    void answersAgain() {
        proxy.resume();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> api("GET", "/api/apps/web/deployments").statusCode() == 200);
    }

    @Test
    void pausedDatabase_healthCheckAnswersUnhealthyWithinItsBound_andHealthyOnceItAnswers() throws Exception {
        assertThat(check(health(), "postgresql").get("healthy").asBoolean()).isTrue();
        proxy.pause();

        HttpResponse<String> first = get(service.adminUrl() + "/healthcheck");
        HttpResponse<String> again = get(service.adminUrl() + "/healthcheck"); // its probe still hangs

        assertThat(first.statusCode()).isEqualTo(500);
        for (HttpResponse<String> answer : List.of(first, again)) {
            JsonNode database = check(JSON.readTree(answer.body()), "postgresql");
            assertThat(database.get("healthy").asBoolean()).isFalse();
            // Its bound (1 s) passes first; a probe started just before may have met the login
            // timeout (1 s) or the socket timeout (3 s) instead.
            assertThat(database.get("message").asText()).satisfiesAnyOf(
                    m -> assertThat(m).startsWith("the database has not answered for "),
                    m -> assertThat(m).startsWith("the database cannot be reached or did not answer: "));
            JsonNode queue = check(JSON.readTree(answer.body()), "build-queue");
            assertThat(queue.get("healthy").asBoolean()).isFalse();
        }

        proxy.resume();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> check(health(), "postgresql").get("healthy").asBoolean());
        assertThat(check(health(), "postgresql").get("message").asText()).startsWith("the database answered in ");
    }

    /**
     * Every door at once, during one pause: the API (a read and a deploy), a dashboard page, a live
     * stream and a webhook delivery each answer 503 with Retry-After and their sentence, and none
     * writes anything; once the database answers, they all work again.
     */
    @Test
    void pausedDatabase_apiPagesStreamsAndWebhooksAnswer503WithRetryAfter_writeNothing_andWorkAgain()
            throws Exception {
        long before = deployments();
        String delivery = UUID.randomUUID().toString();
        proxy.pause();

        var list = async(() -> api("GET", "/api/apps/web/deployments"));
        var create = async(() -> api("POST", "/api/apps/web/deployments"));
        var page = async(() -> page("/apps"));
        var stream = async(() -> page("/events/apps"));
        var webhook = async(() -> ping(delivery));

        for (HttpResponse<String> answer : List.of(list.get(), create.get())) {
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            JsonNode body = JSON.readTree(answer.body());
            assertThat(body.get("code").asInt()).isEqualTo(503);
            assertThat(body.get("message").asText()).isEqualTo(DatabaseUnavailableMapper.API_MESSAGE);
        }
        assertThat(page.get().statusCode()).isEqualTo(503);
        assertThat(page.get().headers().firstValue("Retry-After")).hasValue("5");
        assertThat(page.get().headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/html"));
        assertThat(page.get().body()).contains(DatabaseUnavailableMapper.PAGE_MESSAGE);
        assertThat(stream.get().statusCode()).isEqualTo(503);
        assertThat(stream.get().headers().firstValue("Retry-After")).hasValue("5");
        assertThat(JSON.readTree(stream.get().body()).get("message").asText())
                .isEqualTo(DatabaseUnavailableFilter.MESSAGE);
        assertThat(webhook.get().statusCode()).isEqualTo(503);
        assertThat(webhook.get().headers().firstValue("Retry-After")).hasValue("5");
        assertThat(JSON.readTree(webhook.get().body()).get("message").asText())
                .startsWith("the database is unreachable or too slow right now");

        proxy.resume();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> api("GET", "/api/apps/web/deployments").statusCode() == 200);
        assertThat(deployments()).as("the refused deploy wrote nothing").isEqualTo(before);
        assertThat(api("POST", "/api/apps/web/deployments").statusCode()).isEqualTo(201);
        assertThat(deployments()).isEqualTo(before + 1);
        assertThat(page("/apps").statusCode()).isEqualTo(200);
        // The redelivery is recorded (or recognised, had the first attempt's commit gone through after all).
        assertThat(ping(delivery).statusCode()).isEqualTo(200);
        long recorded = jdbi.withHandle(h -> h.createQuery(
                "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = ?").bind(0, delivery).mapTo(Long.class).one());
        assertThat(recorded).isEqualTo(1);
    }

    /**
     * A statement the server runs past database.statementTimeout (here: waiting for a lock the test
     * holds) is cancelled by the server itself, and the request is a 503 like any other database
     * that did not answer in time: the setting reaches the pool's sessions.
     */
    @Test
    void aStatementPastTheStatementTimeout_isCancelledByTheServer_andAnswered503() throws Exception {
        try (var handle = jdbi.open()) {
            handle.begin();
            handle.execute("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE");

            HttpResponse<String> answer = api("GET", "/api/apps/web/deployments");

            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).hasValue("5");
            handle.rollback();
        }
        assertThat(api("GET", "/api/apps/web/deployments").statusCode()).isEqualTo(200);
    }

    private static <T> CompletableFuture<T> async(Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(call.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, "stall-test-client");
        t.start();
        return result;
    }

    private static HttpResponse<String> ping(String delivery) throws Exception {
        byte[] body = "{\"zen\": \"Keep it logically awesome.\", \"hook_id\": 1}".getBytes(StandardCharsets.UTF_8);
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github")).timeout(NO_ANSWER)
                .header("Content-Type", "application/json").header("X-GitHub-Event", "ping")
                .header("X-GitHub-Delivery", delivery)
                .header("X-Hub-Signature-256", new WebhookSignature(SECRET).sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> api(String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(NO_ANSWER)
                .header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> page(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(NO_ANSWER)
                .header("Cookie", Sessions.COOKIE + "=" + session).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(NO_ANSWER).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode health() throws Exception {
        return JSON.readTree(get(service.adminUrl() + "/healthcheck").body());
    }

    private static JsonNode check(JsonNode health, String name) {
        assertThat(health.has(name)).as("/healthcheck has the check " + name).isTrue();
        return health.get(name);
    }

    private static long deployments() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM deployments").mapTo(Long.class).one());
    }
}
