package com.vangoframework.rhone.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookRateLimitTest {

    @TempDir
    Path dir;

    @Test
    void refusals_countAgainstTheirAddressOnly_andAnAddressThatUsedThemUpIsRefused() {
        WebhookRateLimiter limiter = new WebhookRateLimiter(5, 1000);
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.refusing("10.0.0.1")).isEmpty();
            limiter.refused("10.0.0.1"); // a burst of two seconds' worth
        }
        assertThat(limiter.refusing("10.0.0.1")).hasValueSatisfying(d -> assertThat(d.toSeconds()).isPositive());
        assertThat(limiter.refusing("10.0.0.2")).isEmpty();
    }

    @Test
    void theOverallLimit_countsOnlyVerifiedDeliveries_soJunkCannotDrainIt() {
        WebhookRateLimiter limiter = new WebhookRateLimiter(5, 5);
        for (int i = 0; i < 1000; i++) {
            limiter.refused("10.0.0." + (i % 250));
        }
        int admitted = 0;
        for (int i = 0; i < 20; i++) {
            if (limiter.admitVerified().isEmpty()) {
                admitted++;
            }
        }
        assertThat(admitted).isBetween(10, 11);
        assertThat(limiter.admitVerified()).isPresent();
    }

    @Test
    void verifiedDeliveriesOverTheOverallLimit_are429WithRetryAfter_andNothingIsRecordedForThem() throws Exception {
        var db = TestPostgres.freshDatabase();
        TestService service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("github.webhookSecret", "s"),
                ConfigOverride.config("github.webhookRateOverall", "2")).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            byte[] body = "{\"zen\":\"hi\"}".getBytes();
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                answers.add(http.send(HttpRequest.newBuilder(URI.create(service.url() + "/webhooks/github"))
                        .header("X-GitHub-Event", "ping").header("X-GitHub-Delivery", "rl-" + i)
                        .header("X-Hub-Signature-256", new WebhookSignature("s").sign(body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 429).toList();
            assertThat(refused).isNotEmpty();
            assertThat(refused.get(0).headers().firstValue("Retry-After")).isPresent();
            long recorded = TestPostgres.jdbi(db).withHandle(h -> h.createQuery(
                    "SELECT count(*) FROM webhook_deliveries").mapTo(Long.class).one());
            assertThat(recorded).isEqualTo(10 - refused.size());
        } finally {
            service.stop();
        }
    }

    /** Refusals are logged before anything is verified: the sender's delivery header reaches the log only in GitHub's shape. */
    @Test
    void aRefusedDeliverysIdIsLoggedOnlyInGitHubsShape() {
        assertThat(WebhookServlet.forLog("72d3162e-cc78-11e3-81ab-4c9367dc0958"))
                .isEqualTo("72d3162e-cc78-11e3-81ab-4c9367dc0958");
        assertThat(WebhookServlet.forLog("x\u001b[2J" + "y".repeat(8_000))).isEqualTo("(missing or malformed id)");
        assertThat(WebhookServlet.forLog(null)).isEqualTo("(missing or malformed id)");
    }
}
