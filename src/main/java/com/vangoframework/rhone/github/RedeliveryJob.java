package com.vangoframework.rhone.github;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.threads.FailureStreak;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GitHub does not retry a failed webhook delivery. This job lists the App's recent deliveries
 * ({@code GET /app/hook/deliveries}) and asks GitHub to send again
 * ({@code POST /app/hook/deliveries/{id}/attempts}) each one that never succeeded and that rhone
 * never recorded: a push made while rhone was down or deploying still gets built.
 */
public final class RedeliveryJob implements Managed {

    /** One attempt in GitHub's delivery list: only what this job reads. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Attempt(Long id, String guid, @JsonProperty("status_code") Integer statusCode, String event,
                   String action) {
        Attempt {
            id = id == null ? 0 : id;
            guid = guid == null ? "" : guid;
            statusCode = statusCode == null ? 0 : statusCode;
            event = event == null ? "" : event;
            action = action == null ? "" : action;
        }

        boolean succeeded() {
            return statusCode >= 200 && statusCode < 300;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RedeliveryJob.class);

    private final FailureStreak failures = FailureStreak.of(LOG, "Checking GitHub for failed webhook deliveries",
            java.time.Clock.systemUTC());
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");
    static final int MAX_PAGES = 3;
    static final int MAX_REDELIVERIES_PER_RUN = 50;

    private final String apiUrl;
    private final AppJwt jwt;
    private final Jdbi jdbi;
    private final ObjectMapper json;
    private final Duration every;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private ScheduledExecutorService executor;

    public RedeliveryJob(String apiUrl, AppJwt jwt, Jdbi jdbi, ObjectMapper json, Duration every) {
        this.apiUrl = apiUrl;
        this.jwt = jwt;
        this.jdbi = jdbi;
        this.json = json;
        this.every = every;
    }

    @Override
    public void start() {
        if (executor != null) {
            return;
        }
        executor = NamedThreads.scheduled("rhone-redelivery");
        executor.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
                failures.succeeded();
            } catch (Exception e) {
                failures.failed(e); // tried again after `every`
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        NamedThreads.stopNow(executor, Duration.ofSeconds(5));
        executor = null;
    }

    /** One pass; returns how many deliveries GitHub was asked to send again. */
    public int runOnce() throws IOException, InterruptedException {
        // guid (the X-GitHub-Delivery header we record) -> the newest attempt; and guids that succeeded.
        Map<String, Attempt> newest = new HashMap<>();
        Map<String, Boolean> succeeded = new HashMap<>();
        String url = apiUrl + "/app/hook/deliveries?per_page=100";
        for (int page = 0; page < MAX_PAGES && url != null; page++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url)).GET());
            if (r.statusCode() != 200) {
                throw new IOException("GitHub answered " + r.statusCode() + " to the delivery list");
            }
            for (Attempt d : json.readValue(r.body(), Attempt[].class)) {
                succeeded.merge(d.guid(), d.succeeded(), Boolean::logicalOr);
                Attempt seen = newest.get(d.guid());
                if (seen == null || d.id() > seen.id()) {
                    newest.put(d.guid(), d);
                }
            }
            url = r.headers().firstValue("Link").map(NEXT::matcher).filter(Matcher::find).map(m -> m.group(1))
                    .orElse(null);
        }
        int asked = 0;
        for (var e : newest.entrySet()) {
            if (asked >= MAX_REDELIVERIES_PER_RUN) {
                break;
            }
            String guid = e.getKey();
            if (succeeded.getOrDefault(guid, false) || recorded(guid)) {
                continue;
            }
            long id = e.getValue().id();
            HttpResponse<String> r = send(HttpRequest.newBuilder(
                    URI.create(apiUrl + "/app/hook/deliveries/" + id + "/attempts")).POST(HttpRequest.BodyPublishers.noBody()));
            if (r.statusCode() == 202 || r.statusCode() == 200) {
                asked++;
                LOG.info("Asked GitHub to redeliver {} ({} {})", guid, e.getValue().event(), e.getValue().action());
            } else {
                LOG.warn("GitHub refused to redeliver {}: {}", guid, r.statusCode());
            }
        }
        return asked;
    }

    private boolean recorded(String guid) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = ?")
                .bind(0, guid).mapTo(Long.class).one()) > 0;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + jwt.mint())
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
