package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile bodies against the running service's real edge (Jetty, the servlet, the database): many
 * connections that declare large bodies and then trickle or stall, declared and chunked bodies
 * over GitHub's 25 MB, more bytes in flight than the budget, junk from one address. Throughout,
 * deliveries signed with the secret from another address are answered 2xx.
 */
class WebhookBodyLimitsTest {

    static final String SECRET = "bodies-" + UUID.randomUUID();
    static final WebhookSignature SIGNER = new WebhookSignature(SECRET);
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final long BUDGET = 32L * 1024 * 1024;
    static final int MIB = 1024 * 1024;

    @TempDir
    static Path dir;
    @TempDir
    static Path quickDir;
    /** A 32 MiB budget and a body deadline no test reaches: bodies are held until the test lets go. */
    static TestService service;
    /** A one-second body deadline, behind a proxy that names the client in Fly-Client-IP. */
    static TestService quick;
    static Jdbi jdbi;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("github.webhookBodyBudget", BUDGET + "B"),
                ConfigOverride.config("github.webhookBodyDeadline", "60s"),
                ConfigOverride.config("github.webhookRatePerAddress", "5"),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
        quick = new TestService(TestPostgres.freshDatabase(), quickDir, new ScriptedPipeline(),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("github.webhookBodyDeadline", "1s"),
                ConfigOverride.config("github.webhookAddressHeader", "Fly-Client-IP"),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
        quick.stop();
    }

    static int port(TestService s) {
        return URI.create(s.url()).getPort();
    }

    static HttpResponse<String> signedPing(TestService s, String delivery) throws Exception {
        byte[] body = ("{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1,\"pad\":\"" + "x".repeat(7000) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/webhooks/github"))
                .header("Content-Type", "application/json").header("X-GitHub-Event", "ping")
                .header("X-GitHub-Delivery", delivery).header("X-Hub-Signature-256", SIGNER.sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static long gauge(TestService s, String name) throws Exception {
        JsonNode metrics = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(s.adminUrl() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        return metrics.path("gauges").path(name).path("value").asLong(-1);
    }

    static long inFlight(TestService s) throws Exception {
        return gauge(s, "webhooks.body-bytes-in-flight");
    }

    /** Waits (bounded) until every reserved byte is given back; the test fails if one never is. */
    static void awaitAllReleased(TestService s) throws Exception {
        for (int i = 0; i < 300 && inFlight(s) != 0; i++) {
            Thread.sleep(100);
        }
        assertThat(inFlight(s)).as("bytes still reserved after every body ended").isZero();
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long recorded(String deliveryPrefix) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM webhook_deliveries WHERE delivery_id LIKE ?")
                .bind(0, deliveryPrefix + "%").mapTo(Long.class).one());
    }

    @Test
    void twoHundredSlowAndStalledBodies_leaveTheHeapBounded_andSignedDeliveriesFromGitHubAreAnswered()
            throws Exception {
        assertThat(signedPing(service, "warm-1").statusCode()).isEqualTo(200);
        long before = usedHeapAfterGc();
        List<RawDelivery> flood = new ArrayList<>();
        List<RawDelivery> trickle = new ArrayList<>();
        ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
        ExecutorService writers = Executors.newFixedThreadPool(8);
        try {
            // One attacker address, 200 connections, each declaring 10 MiB (under GitHub's cap):
            // half send 1 MiB at once and then stall, half trickle a byte at a time.
            for (int i = 0; i < 100; i++) {
                flood.add(new RawDelivery("127.0.0.2", port(service)).head(10L * MIB, RawDelivery.FORGED_SIGNATURE,
                        "flood-" + i));
                trickle.add(new RawDelivery("127.0.0.2", port(service)).head(10L * MIB,
                        RawDelivery.FORGED_SIGNATURE, "trickle-" + i));
            }
            List<Future<?>> sent = new ArrayList<>();
            for (RawDelivery d : flood) {
                sent.add(writers.submit(() -> d.write(new byte[MIB])));
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
            drip.scheduleWithFixedDelay(() -> trickle.stream().filter(d -> !d.answered())
                    .forEach(d -> d.write(new byte[] {' '})), 0, 100, TimeUnit.MILLISECONDS);
            // The held bodies have reached the service once it holds about its share of the budget.
            for (int i = 0; i < 100 && inFlight(service) < 20L * MIB; i++) {
                Thread.sleep(100);
            }

            // GitHub, from its own address, meanwhile: every signed delivery is answered and recorded.
            for (int i = 0; i < 20; i++) {
                assertThat(signedPing(service, "github-" + i).statusCode()).isEqualTo(200);
            }
            assertThat(recorded("github-")).isEqualTo(20);

            long held = inFlight(service);
            long grown = usedHeapAfterGc() - before;
            assertThat(held).as("bodies still held while the heap was measured").isGreaterThan(16L * MIB);
            // 100 MiB arrived; unbounded, all of it would be on the heap (and 10 MiB per body once
            // every trickle ended). Bounded, at most the budget is, plus the connections themselves.
            assertThat(grown).as("heap grown while 200 bodies were held").isLessThan(BUDGET + 16L * MIB);
            assertThat(gauge(service, "webhooks.body-bytes-peak")).isBetween(held, BUDGET);

            // The bodies refused past the attacker's share were answered 503 with Retry-After.
            List<RawDelivery.Answer> refused = new ArrayList<>();
            for (RawDelivery d : flood) {
                if (d.answered()) {
                    refused.add(d.answer());
                }
            }
            assertThat(refused).isNotEmpty().allSatisfy(a -> {
                assertThat(a.status()).isEqualTo(503);
                assertThat(a.headers()).containsKey("retry-after").containsEntry("connection", "close");
                assertThat(JSON.readTree(a.body()).get("message").asText())
                        .startsWith("too many delivery bodies are being read at once");
            });
        } finally {
            drip.shutdownNow();
            writers.shutdownNow();
            for (RawDelivery d : flood) {
                d.close();
            }
            for (RawDelivery d : trickle) {
                d.close();
            }
        }
        // The clients gave up: every byte they held is given back.
        awaitAllReleased(service);
        assertThat(signedPing(service, "github-after").statusCode()).isEqualTo(200);
    }

    @Test
    void aDeclaredLengthOverGitHubsCap_is413AtOnce_andNoBodyIsRead() throws Exception {
        long peak = gauge(service, "webhooks.body-bytes-peak");
        try (RawDelivery d = new RawDelivery("127.0.0.3", port(service))) {
            // Only the head is sent: the answer comes without waiting for a byte of the body.
            d.head(WebhookServlet.MAX_BODY_BYTES + 1L, RawDelivery.FORGED_SIGNATURE, "big-1");
            RawDelivery.Answer a = d.answer();
            assertThat(a.status()).isEqualTo(413);
            assertThat(a.headers()).containsEntry("connection", "close");
            assertThat(a.body()).isEqualTo("{\"code\":413,\"message\":\"the delivery is larger than GitHub's 25 MB limit\"}");
            assertThat(d.closedByServer()).isTrue();
        }
        assertThat(gauge(service, "webhooks.body-bytes-peak")).isEqualTo(peak);
        assertThat(inFlight(service)).isZero();
    }

    @Test
    void aChunkedBodyPastTheCap_is413AsSoonAsItPassesIt_andItsBytesAreFreed() throws Exception {
        try (RawDelivery d = new RawDelivery("127.0.0.4", port(service))) {
            d.head(-1, RawDelivery.FORGED_SIGNATURE, "chunked-1");
            byte[] mib = new byte[MIB];
            int sent = 0;
            // Up to twice the cap; the service stops reading just past it.
            while (!d.writeFailed() && !d.answered() && sent < 50) {
                d.chunk(mib);
                sent++;
            }
            assertThat(sent).isGreaterThanOrEqualTo(25);
            RawDelivery.Answer a = d.answer();
            assertThat(a.status()).isEqualTo(413);
            assertThat(a.headers()).containsEntry("connection", "close");
        }
        awaitAllReleased(service);
    }

    @Test
    void moreBytesInFlightThanTheBudget_are503WithRetryAfter_andTheServiceRecovers() throws Exception {
        // Three addresses, each within its share (25 MB), together over the 32 MiB budget.
        List<RawDelivery> senders = new ArrayList<>();
        try {
            for (String from : List.of("127.0.0.5", "127.0.0.6", "127.0.0.7")) {
                for (int i = 0; i < 2; i++) {
                    RawDelivery d = new RawDelivery(from, port(service)).head(20L * MIB,
                            RawDelivery.FORGED_SIGNATURE, "budget-" + from + "-" + i);
                    senders.add(d);
                    for (int m = 0; m < 8 && !d.answered(); m++) {
                        d.write(new byte[MIB]);
                    }
                }
            }
            // The last refusals may still be on their way when the writes return.
            for (int i = 0; i < 100 && senders.stream().filter(RawDelivery::answered).count() < 2; i++) {
                Thread.sleep(100);
            }
            List<RawDelivery.Answer> answered = new ArrayList<>();
            for (RawDelivery d : senders) {
                if (d.answered()) {
                    answered.add(d.answer());
                }
            }
            // 48 MiB offered against 32: at least two bodies cannot be held.
            assertThat(answered).hasSizeGreaterThanOrEqualTo(2).allSatisfy(a -> {
                assertThat(a.status()).isEqualTo(503);
                assertThat(a.headers().get("retry-after")).isEqualTo("60");
                assertThat(JSON.readTree(a.body()).get("code").asInt()).isEqualTo(503);
            });
            assertThat(inFlight(service)).isBetween(16L * MIB, BUDGET);
        } finally {
            for (RawDelivery d : senders) {
                d.close();
            }
        }
        awaitAllReleased(service);
        assertThat(signedPing(service, "after-budget").statusCode()).isEqualTo(200);
    }

    @Test
    void junkFromOneAddress_is429BeforeItsBodyIsRead_butSignedDeliveriesAreNeverRefusedForIt() throws Exception {
        byte[] body = "{\"zen\":\"forged\"}".getBytes(StandardCharsets.UTF_8);
        RawDelivery.Answer limited = null;
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 100 && limited == null; i++) {
            try (RawDelivery d = new RawDelivery("127.0.0.8", port(service))) {
                d.head(body.length, RawDelivery.FORGED_SIGNATURE, "junk-" + i).write(body);
                RawDelivery.Answer a = d.answer();
                statuses.add(a.status());
                if (a.status() == 429) {
                    limited = a;
                }
            }
        }
        // Five refusals a second, in bursts of ten: the eleventh or so is refused unread.
        assertThat(limited).as("statuses %s", statuses).isNotNull();
        assertThat(statuses.subList(0, 10)).containsOnly(401);
        assertThat(limited.headers()).containsKey("retry-after");
        // Deliveries that verify are never counted against an address, and the junk that used up
        // 127.0.0.8's allowance costs 127.0.0.1 nothing: three times the burst, all answered.
        for (int i = 0; i < 30; i++) {
            assertThat(signedPing(service, "steady-" + i).statusCode()).isEqualTo(200);
        }
        assertThat(recorded("junk-")).isZero();
    }

    @Test
    void behindAProxy_theClientAddressComesFromItsHeader_soOneSendersJunkLimitsOnlyThatSender() throws Exception {
        byte[] body = "{\"zen\":\"forged\"}".getBytes(StandardCharsets.UTF_8);
        List<Integer> statuses = new ArrayList<>();
        // All through the one proxy address (127.0.0.1), as on Fly; the header names the sender.
        for (int i = 0; i < 30; i++) {
            try (RawDelivery d = new RawDelivery("127.0.0.1", port(quick))) {
                d.head(body.length, RawDelivery.FORGED_SIGNATURE, "proxied-" + i, "Fly-Client-IP: 203.0.113.7")
                        .write(body);
                statuses.add(d.answer().status());
            }
        }
        assertThat(statuses).contains(401, 429);
        // GitHub, through the same proxy, from its own address, and a header that is not an
        // address (the proxy's peer address counts then): neither is refused for 203.0.113.7's junk.
        byte[] ping = "{\"zen\":\"hi\"}".getBytes(StandardCharsets.UTF_8);
        for (String from : List.of("Fly-Client-IP: 140.82.115.1", "Fly-Client-IP: not an address")) {
            try (RawDelivery d = new RawDelivery("127.0.0.1", port(quick))) {
                d.head(ping.length, SIGNER.sign(ping), "proxied-github-" + from.length(), from).write(ping);
                assertThat(d.answer().status()).as(from).isEqualTo(200);
            }
        }
    }

    @Test
    void aBodyThatTricklesPastTheDeadline_is408_andItsBytesAreFreed() throws Exception {
        try (RawDelivery d = new RawDelivery("127.0.0.9", port(quick))) {
            d.head(64 * 1024, RawDelivery.FORGED_SIGNATURE, "slow-1");
            // A byte every 100 ms: the connection is never idle, the body never finishes in time.
            while (!d.answered()) {
                d.write(new byte[] {'{'});
                Thread.sleep(100);
            }
            RawDelivery.Answer a = d.answer();
            assertThat(a.status()).isEqualTo(408);
            assertThat(a.headers()).containsEntry("connection", "close");
            assertThat(JSON.readTree(a.body()).get("message").asText())
                    .isEqualTo("the delivery's body did not arrive within 1 s");
        }
        awaitAllReleased(quick);
        assertThat(signedPing(quick, "quick-after").statusCode()).isEqualTo(200);
    }
}
