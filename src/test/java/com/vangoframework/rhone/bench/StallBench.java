package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jdbi.v3.core.Jdbi;

/**
 * How long the service takes to answer while its database does not (run by ops/bench/stall;
 * prints figures, asserts nothing). The service runs on the default configuration behind
 * {@link com.vangoframework.rhone.testing.DatabaseProxy}; once it is up the proxy stops forwarding
 * for {@code stall} seconds (default 60), during which requests are sent at 0 s and again every
 * {@code every} seconds (default 10): {@code /healthcheck}, an API list and an API deploy. Each
 * line gives when a request was sent, how long its answer took and what it was; "no answer"
 * means none came within the stall plus 30 s.
 */
public final class StallBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private record Probe(String what, double sentAt, CompletableFuture<String> outcome) {
    }

    public static void main(String[] args) throws Exception {
        int stallSeconds = Integer.getInteger("stall", 60);
        int every = Integer.getInteger("every", 10);
        DatabaseTarget db = TestPostgres.freshDatabase();
        Jdbi jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team team = fx.team("acme");
        fx.app(team, "web");
        String token = fx.token(team);
        Path dataDir = Files.createTempDirectory("stall-bench");
        try (DatabaseProxy proxy = new DatabaseProxy(db)) {
            TestService service = new TestService(proxy.target(), dataDir, new ScriptedPipeline()).start();
            try {
                Duration patience = Duration.ofSeconds(stallSeconds + 30);
                System.out.printf("== database paused for %d s; requests at 0 s and every %d s ==%n", stallSeconds, every);
                long start = System.nanoTime();
                proxy.pause();
                List<Probe> probes = new ArrayList<>();
                for (int at = 0; at < stallSeconds; at += every) {
                    long due = start + Duration.ofSeconds(at).toNanos();
                    Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                    probes.add(probe("GET /healthcheck", start, patience, HttpRequest.newBuilder(
                            URI.create(service.adminUrl() + "/healthcheck")).GET()));
                    probes.add(probe("GET /api/apps/web/deployments", start, patience, HttpRequest.newBuilder(
                            URI.create(service.url() + "/api/apps/web/deployments"))
                            .header("Authorization", "Bearer " + token).GET()));
                    probes.add(probe("POST /api/apps/web/deployments", start, patience, HttpRequest.newBuilder(
                            URI.create(service.url() + "/api/apps/web/deployments"))
                            .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody())));
                }
                Thread.sleep(Math.max(0, (start + Duration.ofSeconds(stallSeconds).toNanos() - System.nanoTime())
                        / 1_000_000));
                proxy.resume();
                System.out.printf("database answers again at %.1f s%n", (System.nanoTime() - start) / 1e9);
                for (Probe p : probes) {
                    System.out.printf("sent at %5.1f s  %-32s %s%n", p.sentAt(), p.what(), p.outcome().join());
                }
                long created = jdbi.withHandle(h ->
                        h.createQuery("SELECT count(*) FROM deployments").mapTo(Long.class).one());
                System.out.printf("deployments in the table after the stall: %d%n", created);
            } finally {
                proxy.resume();
                service.stop();
            }
        }
        System.exit(0);
    }

    private static Probe probe(String what, long start, Duration patience, HttpRequest.Builder request) {
        long sent = System.nanoTime();
        CompletableFuture<String> outcome = HTTP.sendAsync(request.timeout(patience).build(),
                HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
                    double took = (System.nanoTime() - sent) / 1e9;
                    if (e != null) {
                        return String.format("%s after %.1f s", e.getCause() instanceof HttpTimeoutException
                                ? "no answer" : e.getCause().toString(), took);
                    }
                    String body = r.body().replaceAll("\\s+", " ");
                    return String.format("%d after %5.1f s  %s", r.statusCode(), took,
                            body.substring(0, Math.min(body.length(), 160)));
                });
        return new Probe(what, (sent - start) / 1e9, outcome);
    }
}
