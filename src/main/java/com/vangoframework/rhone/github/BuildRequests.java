package com.vangoframework.rhone.github;

import static com.vangoframework.rhone.github.WebhookEvent.branch;
import static com.vangoframework.rhone.github.WebhookEvent.sha;
import static com.vangoframework.rhone.github.WebhookEvent.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.DeploymentInsert;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.deployments.PushOrder;
import com.vangoframework.rhone.github.DeliveryStatements.Target;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The deliveries that only look up apps and request builds: pushes, pull requests opened or
 * updated (a fork's waits for approval, or is not built, as its app says), pings, and events or
 * actions rhone does not use. A push or pull-request update that its branch's recorded history
 * shows to be old (a replay, a late redelivery) is recorded and builds nothing ({@link PushOrder}). They run as
 * plain JDBC on one pooled connection: this is the path that takes GitHub's whole delivery rate
 * (see {@link DeliveryStatements}). Its two shared steps, the apps a delivery may build and the
 * deployments it creates, run on a JDBI transaction's connection in {@link RareDeliveries} too.
 */
final class BuildRequests {

    /** The work done once a delivery's apps are known. */
    @FunctionalInterface
    interface AppsWork {
        DeliveryOutcome run(List<Target> apps) throws SQLException;
    }

    private static final Set<String> SKIP_MARKERS = Set.of("[skip ci]", "[ci skip]", "[skip rhone]");
    private static final Set<String> PULL_REQUEST_BUILDS = Set.of("opened", "synchronize", "reopened");
    private static final String ZERO_SHA = "0".repeat(40);

    private BuildRequests() {
    }

    static DeliveryOutcome route(Connection c, WebhookEvent e) throws SQLException {
        return switch (e.event()) {
            case "ping" -> DeliveryOutcome.of("pong");
            case "push", "pull_request" -> withApps(c, e, apps -> "push".equals(e.event())
                    ? push(c, apps, e) : pullRequest(c, apps, e));
            // Re-runs and requested actions are RareDeliveries'; every other action is unused.
            case "check_run", "check_suite" -> DeliveryOutcome.of("ignored: " + e.event() + " " + e.action());
            default -> DeliveryOutcome.of("ignored: " + e.event() + " events are not used");
        };
    }

    /**
     * Runs {@code work} with the apps built from the delivery's repository through its
     * installation. One statement on the common path: the apps come back only while the
     * installation may build; an empty answer is the rare case worth a second look.
     */
    static DeliveryOutcome withApps(Connection c, WebhookEvent e, AppsWork work) throws SQLException {
        if (e.installation() == null || e.repository() == null) {
            return DeliveryOutcome.of("ignored: no installation or repository in the payload");
        }
        List<Target> apps = DeliveryStatements.appsOf(c, e.repository(), e.installation());
        if (apps.isEmpty() && !DeliveryStatements.installationActive(c, e.installation())) {
            return DeliveryOutcome.of("ignored: installation " + e.installation() + " is suspended or deleted");
        }
        return work.run(apps);
    }

    static List<Target> onBranch(List<Target> apps, String branch) {
        return apps.stream().filter(a -> a.branch().equals(branch)).toList();
    }

    static int pullRequestNumber(JsonNode payload) {
        return payload.path("number").asInt(payload.path("pull_request").path("number").asInt());
    }

    static DeliveryOutcome create(Connection c, List<Target> apps, Function<Target, NewDeployment> request)
            throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (Target app : apps) {
            ids.add(DeploymentInsert.insert(c, request.apply(app)));
        }
        return new DeliveryOutcome("deployment " + ids + " created", ids);
    }

    private static DeliveryOutcome push(Connection c, List<Target> apps, WebhookEvent e) throws SQLException {
        JsonNode p = e.payload();
        String ref = text(p, "ref");
        String after = text(p, "after");
        if (p.path("deleted").asBoolean(false) || ZERO_SHA.equals(after)) {
            return DeliveryOutcome.of("ignored: " + ref + " was deleted");
        }
        if (ref == null || !ref.startsWith("refs/heads/")) {
            return DeliveryOutcome.of("ignored: " + ref + " is not a branch");
        }
        String branch = branch(ref.substring("refs/heads/".length()));
        String sha = sha(after, "after");
        String before = before(p);
        List<Target> matching = onBranch(apps, branch);
        if (matching.isEmpty()) {
            return DeliveryOutcome.of("ignored: no app builds " + e.repository() + " branch " + branch);
        }
        JsonNode head = p.path("head_commit");
        String message = text(head, "message");
        if (message != null) {
            String lower = message.toLowerCase(Locale.ROOT);
            Optional<String> marker = SKIP_MARKERS.stream().filter(lower::contains).findFirst();
            if (marker.isPresent()) {
                return DeliveryOutcome.of("skipped: the commit message says " + marker.get());
            }
        }
        String author = text(head.path("author"), "name");
        return createNews(c, matching, app -> PushOrder.ofBranchPush(c, app.id(), branch, before, sha), branch, sha,
                app -> new NewDeployment(app.id(), DeploymentTrigger.PUSH, branch, sha, message, author, null, null,
                        NewDeployment.Origin.OWN, before), "");
    }

    /**
     * The commit a push (or a pull request's synchronize) moved from: null when it created the
     * branch or did not say; a value that is not a SHA is refused like {@code after}.
     */
    private static String before(JsonNode payload) {
        String before = text(payload, "before");
        return before == null || ZERO_SHA.equals(before) ? null : sha(before, "before");
    }

    @FunctionalInterface
    private interface Judge {
        PushOrder.Verdict of(Target app) throws SQLException;
    }

    /**
     * Creates the deployments of the apps for which the push is news ({@link PushOrder}); the others
     * are named in the outcome. A delivery that is news to no app creates nothing: no deployment,
     * no Check Run.
     */
    private static DeliveryOutcome createNews(Connection c, List<Target> apps, Judge judge, String subject,
                                              String sha, Function<Target, NewDeployment> request, String createdNote)
            throws SQLException {
        List<Target> news = new ArrayList<>(apps.size());
        String refused = null;
        for (Target app : apps) {
            PushOrder.Verdict verdict = judge.of(app);
            if (verdict == PushOrder.Verdict.NEW) {
                news.add(app);
            } else if (refused == null) {
                refused = "ignored: " + (verdict == PushOrder.Verdict.ALREADY_REQUESTED
                        ? sha.substring(0, 12) + " is already built or requested for " + subject
                        : "a newer push to " + subject + " already moved past " + sha.substring(0, 12));
            }
        }
        if (news.isEmpty()) {
            return DeliveryOutcome.of(refused);
        }
        DeliveryOutcome created = create(c, news, request);
        return new DeliveryOutcome(created.text() + createdNote + (refused == null ? ""
                : "; for the other apps " + refused), created.ids());
    }

    private static DeliveryOutcome pullRequest(Connection c, List<Target> apps, WebhookEvent e) throws SQLException {
        JsonNode pr = e.payload().path("pull_request");
        int number = pullRequestNumber(e.payload());
        String base = text(pr.path("base"), "ref");
        List<Target> matching = onBranch(apps, base);
        if (matching.isEmpty()) {
            return DeliveryOutcome.of("ignored: no app builds pull requests into " + e.repository() + " branch "
                    + base);
        }
        if (e.action() == null) { // Set.of(...).contains(null) throws: a signed delivery without one was a 500
            throw new WebhookRejected("pull_request.action is missing");
        }
        if (!PULL_REQUEST_BUILDS.contains(e.action())) {
            return DeliveryOutcome.of("ignored: pull_request " + e.action());
        }
        String sha = sha(text(pr.path("head"), "sha"), "pull_request.head.sha");
        String headBranch = branch(text(pr.path("head"), "ref"));
        String title = "PR #" + number + ": " + Optional.ofNullable(text(pr, "title")).orElse("");
        String author = text(pr.path("user"), "login");
        // A fork: the head repository is another one, or gone (GitHub sends "repo": null then).
        String headRepository = text(pr.path("head").path("repo"), "full_name");
        boolean fromFork = headRepository == null || !headRepository.equalsIgnoreCase(e.repository());
        // synchronize moved the head like a push (GitHub sends before and after); opened starts the
        // pull request's history. Reopened is built as sent: the builds of its head were cancelled
        // when it was closed.
        boolean judged = !"reopened".equals(e.action());
        String before = "synchronize".equals(e.action()) ? before(e.payload()) : null;
        Judge judge = app -> judged ? PushOrder.ofPullRequest(c, app.id(), number, before, sha) : PushOrder.Verdict.NEW;
        String subject = "pull request #" + number;
        if (!fromFork) {
            return createNews(c, matching, judge, subject, sha, app -> new NewDeployment(app.id(),
                    DeploymentTrigger.PULL_REQUEST, headBranch, sha, title, author, number, null,
                    NewDeployment.Origin.OWN, before), "");
        }
        List<Target> building = matching.stream().filter(a -> a.forkPolicy() != App.ForkPolicy.NEVER).toList();
        String fork = headRepository == null ? "a deleted fork" : "the fork " + headRepository;
        if (building.isEmpty()) {
            return DeliveryOutcome.of("ignored: pull request #" + number + " is from " + fork
                    + " and the app does not build pull requests from forks");
        }
        boolean waiting = building.stream().anyMatch(a -> a.forkPolicy() == App.ForkPolicy.APPROVE);
        return createNews(c, building, judge, subject, sha, app -> new NewDeployment(app.id(),
                DeploymentTrigger.PULL_REQUEST, headBranch, sha, title, author, number, null,
                NewDeployment.Origin.fork(headRepository, app.forkPolicy() == App.ForkPolicy.APPROVE), before),
                " from " + fork + (waiting ? ", awaiting approval" : ""));
    }
}
