package com.vangoframework.rhone.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.github.WebhookSignature;
import com.vangoframework.rhone.testing.DashboardClient;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * A running service on its own database, the rows a stranger's requests can aim at (two teams,
 * their apps, deployments in several states, a GitHub installation), and the judge of every
 * answer: never a 5xx, never an unanswered request, errors in the one shape of their edge, and
 * no row written by a refused request.
 */
final class FuzzRun implements AutoCloseable {

    /** A case that broke a rule, with what it sent and got. */
    record Violation(HostileRequests.Case request, String rule, RawHttp.Answer answer) {
        @Override
        public String toString() {
            String body = answer.text();
            return "case " + request.number() + " [" + request.surface() + "] " + request.summary() + "\n    -> "
                    + answer.status() + " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body)
                    + "\n    broke: " + rule;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "fuzz-webhook-secret-" + UUID.randomUUID();
    private static final long INSTALLATION = 4242;
    /** Bookkeeping any authenticated request may do: a token's last use (at most once a minute). */
    private static final Set<String> ALWAYS_ALLOWED = Set.of("api_tokens:UPDATE");

    private final TestService service;
    private final Jdbi jdbi;
    private final WriteJournal journal;
    private final RawHttp http;
    private final HostileRequests requests;
    private final long lastFixtureDeployment;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final List<Violation> violations = new ArrayList<>();
    final long[] phases = new long[3];
    private final java.util.TreeSet<Timed> slowest = new java.util.TreeSet<>(
            java.util.Comparator.comparingLong(Timed::millis).thenComparingInt(Timed::number));

    /** How long one case took to be answered (for the benchmark's report; never asserted). */
    record Timed(long millis, int number, String summary) {
    }

    FuzzRun(long seed, Path dataDir) throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        Team acme = fx.team("acme");
        Team globex = fx.team("globex");
        App web = jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(acme.id(), "web", "acme/web", INSTALLATION, null,
                "main", 1800));
        App foreign = fx.app(globex, "secret-app");
        List<String> ids = new ArrayList<>();
        Deployment pending = fx.pending(web);
        Deployment waiting = fx.awaitingFork(web, 7);
        Deployment failed = fx.pending(web);
        Deployment elsewhere = fx.pending(foreign);
        jdbi.useHandle(h -> h.execute("UPDATE deployments SET status = 'build_failed', error_message = 'failed', "
                + "build_finished_at = now() WHERE id = ?", failed.id()));
        for (Deployment d : List.of(pending, waiting, failed, elsewhere)) {
            ids.add(String.valueOf(d.id()));
        }
        lastFixtureDeployment = elsewhere.id();
        String token = fx.token(acme);
        String otherToken = fx.token(globex);
        service = new TestService(db, dataDir, new ScriptedPipeline(),
                ConfigOverride.config("github.webhookSecret", SECRET),
                ConfigOverride.config("github.webhookRatePerAddress", "1000000"),
                ConfigOverride.config("github.webhookRateOverall", "1000000"),
                ConfigOverride.config("dashboard.deploysPerMinute", "10000"),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
        DashboardClient dashboard = new DashboardClient(service.url(), jdbi);
        String session = dashboard.session(acme, "mallory");
        String csrf = DashboardClient.csrfOf(dashboard.get("/apps/web", session));
        URI url = URI.create(service.url());
        http = new RawHttp(url.getHost(), url.getPort());
        journal = WriteJournal.install(jdbi);
        requests = new HostileRequests(seed, new HostileRequests.Credentials(token, otherToken, session, csrf,
                new WebhookSignature(SECRET), List.of("web", "web", "secret-app", "nope"), ids, INSTALLATION,
                "acme/web"));
    }

    /** Sends case {@code n} and judges the answer. */
    void run(int n) throws Exception {
        HostileRequests.Case c = requests.make(n);
        long mark = journal.mark();
        long started = System.nanoTime();
        RawHttp.Answer answer = http.send(c.request());
        slowest.add(new Timed((System.nanoTime() - started) / 1_000_000, c.number(), c.summary()));
        if (slowest.size() > 5) {
            slowest.remove(slowest.first());
        }
        outcomes.merge(c.surface() + " " + (answer.status() == 0 ? "no answer" : answer.status()), 1, Integer::sum);
        long sent = System.nanoTime();
        judge(c, answer, mark);
        long judged = System.nanoTime();
        if (answer.status() > 0 && answer.status() < 400) {
            settle();
        }
        phases[0] += sent - started;
        phases[1] += judged - sent;
        phases[2] += System.nanoTime() - judged;
    }

    /** Case {@code n} sent again, with the whole exchange in words: for bringing back a failure. */
    String replay(int n) throws Exception {
        HostileRequests.Case c = requests.make(n);
        RawHttp.Answer answer = http.send(c.request());
        String sent = new String(c.request(), 0, Math.min(c.request().length, 2_000),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        return "case " + n + " sent:\n" + sent + "\n-> " + answer.status() + " " + answer.headers() + "\n"
                + answer.text();
    }

    private void judge(HostileRequests.Case c, RawHttp.Answer answer, long mark) throws Exception {
        int status = answer.status();
        if (status == 0) {
            violations.add(new Violation(c, "an answer (the connection closed without one)", answer));
            return;
        }
        if (status >= 500) {
            violations.add(new Violation(c, "never a 5xx", answer));
        }
        if (status >= 400) {
            String shape = errorShape(c, answer);
            if (shape != null) {
                violations.add(new Violation(c, shape, answer));
            }
            List<String> written = new ArrayList<>(journal.since(mark));
            written.removeAll(ALWAYS_ALLOWED);
            if (c.signed()) {
                // A signed delivery that is refused is recorded as such (so GitHub is not asked for it again).
                written.removeAll(List.of("webhook_deliveries:INSERT", "webhook_deliveries:UPDATE"));
            }
            if (!written.isEmpty()) {
                violations.add(new Violation(c, "a refused request writes nothing, but it wrote " + written, answer));
            }
        }
    }

    /**
     * The API and the webhook answer errors as {@code {"code": N, "message": "…"}}; the dashboard's
     * pages as its error page (which names the status), or in the JSON shape where Jetty refused
     * the request before any page could be chosen. Null when the answer has the right shape.
     */
    private static String errorShape(HostileRequests.Case c, RawHttp.Answer answer) {
        String type = answer.header("content-type");
        if (type.startsWith("application/json")) {
            try {
                JsonNode body = JSON.readTree(answer.body());
                boolean ok = body != null && body.isObject() && body.size() == 2
                        && body.path("code").isInt() && body.path("code").asInt() == answer.status()
                        && body.path("message").isTextual() && !body.path("message").asText().isBlank();
                return ok ? null : "the JSON error shape {\"code\": status, \"message\": sentence}";
            } catch (java.io.IOException e) {
                return "a JSON error body that parses";
            }
        }
        if (c.surface() == HostileRequests.Surface.DASHBOARD && type.startsWith("text/html")) {
            String page = answer.text();
            return page.contains("id=\"error-message\"") && page.contains("HTTP " + answer.status())
                    ? null : "the dashboard's error page with its sentence and status";
        }
        return "an error in the edge's shape (got Content-Type '" + type + "')";
    }

    /**
     * After a request that was accepted: wait until what it started (supersedes, follow-ups) has
     * written its rows, then drop the deployments it made, so the next case starts from the
     * fixtures and a refused case is never blamed for an earlier one's writes.
     */
    private void settle() throws InterruptedException {
        long last = -1;
        for (int quiet = 0; quiet < 2; ) {
            Thread.sleep(10);
            long now = journal.mark();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        journal.dropDeploymentsAfter(lastFixtureDeployment);
    }

    Map<String, Integer> outcomes() {
        return outcomes;
    }

    /** The five cases slowest to be answered, slowest last. */
    java.util.Collection<Timed> slowest() {
        return slowest;
    }

    List<Violation> violations() {
        return violations;
    }

    @Override
    public void close() {
        journal.close();
        service.stop();
    }
}
