package com.vangoframework.rhone.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.db.SqlFailure;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentInsert;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.github.DeliveryStatements.Target;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a verified delivery into deployments, in one transaction with the delivery's record: a
 * redelivery (same {@code X-GitHub-Delivery}) finds the record and creates nothing, and a crash
 * between the two cannot leave one without the other. Every delivery's outcome is recorded.
 *
 * <p>Deliveries that only look up apps and request builds (pushes, pull requests opened or
 * updated, check suites, pings, rhone's own check runs coming back, events not used) run as plain
 * JDBC on a pooled connection: this is the path that takes GitHub's whole delivery rate (see
 * {@link DeliveryStatements}). The rare ones that change installations, cancel a closed pull
 * request's builds or look up the deployment behind a re-requested check run run in a JDBI
 * transaction, whose connection the shared statements use too.
 */
public final class WebhookHandler {

    /** What happened, as recorded and answered. */
    public record Result(boolean duplicate, String outcome, List<Long> deploymentIds) {
    }

    private record Outcome(String text, List<Long> ids) {
        static Outcome of(String text) {
            return new Outcome(text, List.of());
        }
    }

    /** One delivery's transaction: its connection, and a JDBI handle on it for the rare events. */
    private record Tx(Connection connection, Handle handle) {
    }

    @FunctionalInterface
    private interface TxWork<T> {
        T run(Tx tx) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);
    static final String REBUILD_ACTION = "rebuild";
    private static final Set<String> SKIP_MARKERS = Set.of("[skip ci]", "[ci skip]", "[skip rhone]");
    private static final String ZERO_SHA = "0".repeat(40);

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final DeploymentService deployments;

    /** {@code dataSource} is the pool behind {@code jdbi}. */
    public WebhookHandler(DataSource dataSource, Jdbi jdbi, DeploymentService deployments) {
        this.dataSource = dataSource;
        this.jdbi = jdbi;
        this.deployments = deployments;
    }

    public Result handle(String deliveryId, String event, JsonNode payload) {
        String action = text(payload, "action");
        Long installation = payload.path("installation").has("id") ? payload.path("installation").path("id").asLong() : null;
        String repository = text(payload.path("repository"), "full_name");
        Result result;
        try {
            result = inTransaction(needsHandle(event, action), tx -> {
                Outcome outcome = route(tx, event, action, payload, installation, repository);
                // Recorded last, with its outcome: one statement. A redelivery of a delivery
                // already recorded (or being recorded right now: the insert waits for that
                // transaction) finds the id taken, and everything this attempt did is rolled back.
                if (!DeliveryStatements.record(tx.connection(), new DeliveryStatements.Delivery(deliveryId, event,
                        action, installation, repository, outcome.text(),
                        outcome.ids().stream().mapToLong(Long::longValue).toArray()))) {
                    throw new Redelivery();
                }
                return new Result(false, outcome.text(), outcome.ids());
            });
        } catch (Redelivery r) {
            String earlier = inTransaction(false, tx -> DeliveryStatements.outcomeOf(tx.connection(), deliveryId)
                    .orElse("recorded"));
            return new Result(true, "duplicate delivery: " + earlier, List.of());
        }
        deployments.published(result.deploymentIds()); // committed: the Check Runs can be created now
        return result;
    }

    /** The events whose handling uses JDBI DAOs beyond the shared statements. */
    private static boolean needsHandle(String event, String action) {
        return switch (event) {
            case "installation", "installation_repositories" -> true;
            case "check_run" -> "rerequested".equals(action) || "requested_action".equals(action);
            case "pull_request" -> "closed".equals(action);
            default -> false;
        };
    }

    private <T> T inTransaction(boolean withHandle, TxWork<T> work) {
        try {
            if (withHandle) {
                return jdbi.inTransaction(h -> work.run(new Tx(h.getConnection(), h)));
            }
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(new Tx(c, null));
                    c.commit();
                    return result;
                } catch (Throwable e) {
                    // Everything, errors included: switching autocommit back on below would
                    // otherwise commit half a delivery (a deployment without its record).
                    try {
                        c.rollback();
                    } catch (SQLException rollback) {
                        e.addSuppressed(rollback);
                    }
                    throw e;
                } finally {
                    try {
                        c.setAutoCommit(true);
                    } catch (SQLException restore) {
                        // Only a broken connection refuses; the pool's check on borrow drops it. The
                        // delivery's own outcome (committed, or the error above) is what counts.
                        LOG.warn("Could not reset a pooled connection after a GitHub delivery: {}",
                                restore.getMessage());
                    }
                }
            }
        } catch (SQLException e) {
            throw new SqlFailure("handling a GitHub delivery", e);
        }
    }

    /** Rolls a redelivery's transaction back; carries nothing. */
    private static final class Redelivery extends RuntimeException {
        Redelivery() {
            super(null, null, false, false);
        }
    }

    private Outcome route(Tx tx, String event, String action, JsonNode p, Long installation, String repository)
            throws SQLException {
        return switch (event) {
            case "ping" -> Outcome.of("pong");
            case "installation" -> installation(tx.handle().attach(GitHubDao.class), action, p);
            case "installation_repositories" -> installationRepositories(tx.handle().attach(GitHubDao.class), p);
            case "push", "pull_request", "check_run", "check_suite" -> {
                if (installation == null || repository == null) {
                    yield Outcome.of("ignored: no installation or repository in the payload");
                }
                // One statement on the common path: the apps come back only while the
                // installation may build; an empty answer is the rare case worth a second look.
                List<Target> apps = DeliveryStatements.appsOf(tx.connection(), repository, installation);
                if (apps.isEmpty() && !DeliveryStatements.installationActive(tx.connection(), installation)) {
                    yield Outcome.of("ignored: installation " + installation + " is suspended or deleted");
                }
                yield switch (event) {
                    case "push" -> push(tx, apps, p, repository);
                    case "pull_request" -> pullRequest(tx, apps, action, p, repository);
                    case "check_run" -> checkRun(tx, apps, action, p);
                    default -> checkSuite(tx, apps, action, p, repository);
                };
            }
            default -> Outcome.of("ignored: " + event + " events are not used");
        };
    }

    private Outcome push(Tx tx, List<Target> apps, JsonNode p, String repository) throws SQLException {
        String ref = text(p, "ref");
        String after = text(p, "after");
        if (p.path("deleted").asBoolean(false) || ZERO_SHA.equals(after)) {
            return Outcome.of("ignored: " + ref + " was deleted");
        }
        if (ref == null || !ref.startsWith("refs/heads/")) {
            return Outcome.of("ignored: " + ref + " is not a branch");
        }
        String branch = branch(ref.substring("refs/heads/".length()));
        String sha = sha(after, "after");
        List<Target> matching = apps.stream().filter(a -> a.branch().equals(branch)).toList();
        if (matching.isEmpty()) {
            return Outcome.of("ignored: no app builds " + repository + " branch " + branch);
        }
        JsonNode head = p.path("head_commit");
        String message = text(head, "message");
        if (message != null) {
            String lower = message.toLowerCase(Locale.ROOT);
            Optional<String> marker = SKIP_MARKERS.stream().filter(lower::contains).findFirst();
            if (marker.isPresent()) {
                return Outcome.of("skipped: the commit message says " + marker.get());
            }
        }
        String author = text(head.path("author"), "name");
        return create(tx, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.PUSH, branch, sha, message,
                author, null, null));
    }

    private Outcome pullRequest(Tx tx, List<Target> apps, String action, JsonNode p, String repository)
            throws SQLException {
        JsonNode pr = p.path("pull_request");
        int number = p.path("number").asInt(pr.path("number").asInt());
        String base = text(pr.path("base"), "ref");
        List<Target> matching = apps.stream().filter(a -> a.branch().equals(base)).toList();
        if (matching.isEmpty()) {
            return Outcome.of("ignored: no app builds pull requests into " + repository + " branch " + base);
        }
        if ("closed".equals(action)) {
            int cancelled = matching.stream().mapToInt(a -> deployments.cancelPendingPullRequest(tx.handle(), a.id(), number)).sum();
            return Outcome.of("pull request #" + number + " closed: " + cancelled + " pending build(s) cancelled");
        }
        if (!Set.of("opened", "synchronize", "reopened").contains(action)) {
            return Outcome.of("ignored: pull_request " + action);
        }
        String sha = sha(text(pr.path("head"), "sha"), "pull_request.head.sha");
        String headBranch = branch(text(pr.path("head"), "ref"));
        String title = "PR #" + number + ": " + Optional.ofNullable(text(pr, "title")).orElse("");
        String author = text(pr.path("user"), "login");
        return create(tx, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.PULL_REQUEST, headBranch, sha,
                title, author, number, null));
    }

    private Outcome checkRun(Tx tx, List<Target> apps, String action, JsonNode p) throws SQLException {
        JsonNode run = p.path("check_run");
        boolean rebuild = "requested_action".equals(action)
                && REBUILD_ACTION.equals(text(p.path("requested_action"), "identifier"));
        if (!"rerequested".equals(action) && !rebuild) {
            return Outcome.of("ignored: check_run " + action);
        }
        long originalId;
        try {
            originalId = Long.parseLong(Optional.ofNullable(text(run, "external_id")).orElse(""));
        } catch (NumberFormatException e) {
            return Outcome.of("ignored: the check run is not one of rhone's");
        }
        // The original must belong to an app of this repository and installation: a delivery for
        // one repository can never start another repository's build.
        Optional<Deployment> original = tx.handle().attach(DeploymentDao.class).findById(originalId)
                .filter(d -> apps.stream().anyMatch(a -> a.id() == d.appId()));
        if (original.isEmpty()) {
            return Outcome.of("ignored: deployment " + originalId + " is not an app of this repository");
        }
        Deployment d = original.get();
        String sha = sha(text(run, "head_sha"), "check_run.head_sha");
        Target app = apps.stream().filter(a -> a.id() == d.appId()).findFirst().orElseThrow();
        return create(tx, List.of(app), a -> new NewDeployment(a.id(), DeploymentTrigger.REREQUESTED, d.branch(), sha,
                d.commitMessage(), d.commitAuthor(), d.pullRequestNumber(), d.id()));
    }

    private Outcome checkSuite(Tx tx, List<Target> apps, String action, JsonNode p, String repository)
            throws SQLException {
        if (!"rerequested".equals(action)) {
            return Outcome.of("ignored: check_suite " + action);
        }
        JsonNode suite = p.path("check_suite");
        String branch = branch(text(suite, "head_branch"));
        String sha = sha(text(suite, "head_sha"), "check_suite.head_sha");
        List<Target> matching = apps.stream().filter(a -> a.branch().equals(branch)).toList();
        if (matching.isEmpty()) {
            return Outcome.of("ignored: no app builds " + repository + " branch " + branch);
        }
        String message = text(suite.path("head_commit"), "message");
        String author = text(suite.path("head_commit").path("author"), "name");
        return create(tx, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.REREQUESTED, branch, sha,
                message, author, null, null));
    }

    private Outcome installation(GitHubDao dao, String action, JsonNode p) {
        long id = p.path("installation").path("id").asLong();
        String login = Optional.ofNullable(text(p.path("installation").path("account"), "login")).orElse("unknown");
        switch (String.valueOf(action)) {
            case "created" -> {
                dao.installationCreated(id, login);
                p.path("repositories").forEach(r -> dao.repositoryAdded(id, text(r, "full_name")));
            }
            case "deleted" -> dao.installationDeleted(id, login);
            case "suspend" -> dao.installationSuspended(id, login);
            case "unsuspend" -> dao.installationUnsuspended(id, login);
            default -> {
                return Outcome.of("ignored: installation " + action);
            }
        }
        return Outcome.of("installation " + id + " (" + login + ") " + action);
    }

    private Outcome installationRepositories(GitHubDao dao, JsonNode p) {
        long id = p.path("installation").path("id").asLong();
        dao.installationCreated(id, Optional.ofNullable(text(p.path("installation").path("account"), "login"))
                .orElse("unknown"));
        p.path("repositories_added").forEach(r -> dao.repositoryAdded(id, text(r, "full_name")));
        p.path("repositories_removed").forEach(r -> dao.repositoryRemoved(id, text(r, "full_name")));
        return Outcome.of("installation " + id + ": " + p.path("repositories_added").size() + " repositories added, "
                + p.path("repositories_removed").size() + " removed");
    }

    private Outcome create(Tx tx, List<Target> apps, java.util.function.Function<Target, NewDeployment> request)
            throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (Target app : apps) {
            ids.add(DeploymentInsert.insert(tx.connection(), request.apply(app)));
        }
        return new Outcome("deployment " + ids + " created", ids);
    }

    private static String sha(String value, String field) {
        return Names.normalizeSha(value).orElseThrow(() ->
                new WebhookRejected(field + " is not a 40-character commit SHA"));
    }

    private static String branch(String value) {
        Names.checkBranch("branch", value).ifPresent(problem -> {
            throw new WebhookRejected(problem);
        });
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
