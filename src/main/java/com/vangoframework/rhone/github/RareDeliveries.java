package com.vangoframework.rhone.github;

import static com.vangoframework.rhone.github.WebhookEvent.sha;
import static com.vangoframework.rhone.github.WebhookEvent.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.github.DeliveryStatements.Target;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The deliveries that need more than the shared statements, in a JDBI transaction: installations
 * created, changed or removed, a closed pull request's pending (or waiting) builds cancelled, the
 * deployment behind a re-requested check run or suite looked up, and a fork's pull request approved. They are rare next to pushes, so JDBI's cost does not
 * show; the shared statements of {@link BuildRequests} run on the transaction's connection.
 */
final class RareDeliveries {

    private final DeploymentService deployments;

    RareDeliveries(DeploymentService deployments) {
        this.deployments = deployments;
    }

    /** True for the events handled here; the rest take the plain-JDBC path. */
    static boolean takes(String event, String action) {
        return switch (event) {
            case "installation", "installation_repositories" -> true;
            case "check_run" -> "rerequested".equals(action) || "requested_action".equals(action);
            case "check_suite" -> "rerequested".equals(action);
            case "pull_request" -> "closed".equals(action);
            default -> false;
        };
    }

    DeliveryOutcome route(Handle h, WebhookEvent e) throws SQLException {
        return switch (e.event()) {
            case "installation" -> installation(h.attach(GitHubDao.class), e);
            case "installation_repositories" -> installationRepositories(h.attach(GitHubDao.class), e.payload());
            case "pull_request" -> BuildRequests.withApps(h.getConnection(), e, apps -> closedPullRequest(h, apps, e));
            case "check_run" -> BuildRequests.withApps(h.getConnection(), e, apps -> checkRun(h, apps, e));
            case "check_suite" -> BuildRequests.withApps(h.getConnection(), e, apps -> checkSuite(h, apps, e));
            default -> throw new IllegalArgumentException(e.event() + " events are not handled here");
        };
    }

    private DeliveryOutcome closedPullRequest(Handle h, List<Target> apps, WebhookEvent e) {
        int number = BuildRequests.pullRequestNumber(e.payload());
        String base = text(e.payload().path("pull_request").path("base"), "ref");
        List<Target> matching = BuildRequests.onBranch(apps, base);
        if (matching.isEmpty()) {
            return DeliveryOutcome.of("ignored: no app builds pull requests into " + e.repository() + " branch "
                    + base);
        }
        int cancelled = matching.stream().mapToInt(a -> deployments.cancelPendingPullRequest(h, a.id(), number)).sum();
        return DeliveryOutcome.of("pull request #" + number + " closed: " + cancelled
                + " pending or waiting build(s) cancelled");
    }

    private DeliveryOutcome checkRun(Handle h, List<Target> apps, WebhookEvent e) throws SQLException {
        JsonNode run = e.payload().path("check_run");
        String identifier = text(e.payload().path("requested_action"), "identifier");
        boolean requested = "requested_action".equals(e.action());
        if (requested && !WebhookHandler.REBUILD_ACTION.equals(identifier)
                && !WebhookHandler.APPROVE_ACTION.equals(identifier)) {
            return DeliveryOutcome.of("ignored: check_run requested_action " + identifier);
        }
        long originalId;
        try {
            originalId = Long.parseLong(Optional.ofNullable(text(run, "external_id")).orElse(""));
        } catch (NumberFormatException notOurs) {
            return DeliveryOutcome.of("ignored: the check run is not one of rhone's");
        }
        // The original must belong to an app of this repository and installation: a delivery for
        // one repository can never start another repository's build.
        Optional<Deployment> original = h.attach(DeploymentDao.class).findById(originalId)
                .filter(d -> apps.stream().anyMatch(a -> a.id() == d.appId()));
        if (original.isEmpty()) {
            return DeliveryOutcome.of("ignored: deployment " + originalId + " is not an app of this repository");
        }
        Deployment d = original.get();
        String sha = sha(text(run, "head_sha"), "check_run.head_sha");
        Target app = apps.stream().filter(a -> a.id() == d.appId()).findFirst().orElseThrow();
        if (requested && WebhookHandler.APPROVE_ACTION.equals(identifier)) {
            return approve(h, d, sha, run.path("id").asLong(), text(e.payload().path("sender"), "login"));
        }
        return rerun(h, app, d, sha);
    }

    /**
     * "Approve and build" on a fork's Check Run. GitHub shows requested actions only to people
     * with write access to the repository, and the delivery is signed: the click is theirs. The
     * run must be the deployment's own, on its commit; a second click changes nothing.
     */
    private DeliveryOutcome approve(Handle h, Deployment d, String sha, long checkRunId, String login) {
        if (!sha.equals(d.commitSha()) || d.checkRunId() == null || d.checkRunId() != checkRunId) {
            return DeliveryOutcome.of("ignored: check run " + checkRunId + " on " + sha.substring(0, 12)
                    + " is not deployment " + d.id() + "'s");
        }
        if (login == null || login.isBlank()) {
            return DeliveryOutcome.of("ignored: the approval names no GitHub user");
        }
        Optional<Deployment> approved = deployments.approve(h, d.id(), "github:" + login);
        return approved.map(a -> new DeliveryOutcome("deployment " + a.id() + " approved by github:" + login,
                        List.of(a.id())))
                .orElseGet(() -> DeliveryOutcome.of("unchanged: deployment " + d.id() + " is "
                        + h.attach(DeploymentDao.class).findById(d.id()).map(x -> x.status().dbValue()).orElse("gone")
                        + ", not awaiting approval"));
    }

    /**
     * "Re-run all checks": the suite's commit is built again as rhone last built it for this app
     * (branch, pull request, fork). A suite rhone never built is not guessed at: its head branch
     * may be a fork's branch of the same name as the app's, whose code must not be built as a push.
     */
    private DeliveryOutcome checkSuite(Handle h, List<Target> apps, WebhookEvent e) throws SQLException {
        JsonNode suite = e.payload().path("check_suite");
        String sha = sha(text(suite, "head_sha"), "check_suite.head_sha");
        DeploymentDao dao = h.attach(DeploymentDao.class);
        List<Long> ids = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Target app : apps) {
            Optional<Deployment> latest = dao.latestOfCommit(app.id(), sha);
            if (latest.isEmpty()) {
                continue;
            }
            DeliveryOutcome one = rerun(h, app, latest.get(), sha);
            ids.addAll(one.ids());
            if (one.ids().isEmpty()) {
                notes.add(one.text());
            }
        }
        if (!ids.isEmpty()) {
            return new DeliveryOutcome("deployment " + ids + " created", ids);
        }
        return DeliveryOutcome.of(notes.isEmpty()
                ? "ignored: rhone has not built " + sha.substring(0, 12) + " for an app of " + e.repository()
                : notes.get(0));
    }

    /**
     * A re-run keeps what the original was: its branch, its pull request and, for a fork, the
     * wait for approval, unless the same commit was approved (or built without one) before.
     */
    private static DeliveryOutcome rerun(Handle h, Target app, Deployment d, String sha) throws SQLException {
        NewDeployment.Origin origin = NewDeployment.Origin.OWN;
        if (d.fromFork()) {
            if (app.forkPolicy() == App.ForkPolicy.NEVER) {
                return DeliveryOutcome.of("ignored: deployment " + d.id()
                        + " is a fork's pull request and the app does not build pull requests from forks");
            }
            // An approval holds for the commit it was given for, not for what the fork pushes next.
            origin = sha.equals(d.commitSha()) && d.approvedBy() != null
                    ? new NewDeployment.Origin(true, d.headRepository(), false, d.approvedBy())
                    : NewDeployment.Origin.fork(d.headRepository(), app.forkPolicy() == App.ForkPolicy.APPROVE);
        }
        NewDeployment.Origin chosen = origin;
        return BuildRequests.create(h.getConnection(), List.of(app), a -> new NewDeployment(a.id(),
                DeploymentTrigger.REREQUESTED, d.branch(), sha, d.commitMessage(), d.commitAuthor(),
                d.pullRequestNumber(), d.id(), chosen));
    }

    private static DeliveryOutcome installation(GitHubDao dao, WebhookEvent e) {
        JsonNode p = e.payload();
        long id = WebhookEvent.installationId(p);
        String login = Optional.ofNullable(text(p.path("installation").path("account"), "login")).orElse("unknown");
        switch (String.valueOf(e.action())) {
            case "created" -> {
                List<String> repositories = repositories(p.path("repositories"), "repositories");
                dao.installationCreated(id, login);
                repositories.forEach(r -> dao.repositoryAdded(id, r));
            }
            case "deleted" -> dao.installationDeleted(id, login);
            case "suspend" -> dao.installationSuspended(id, login);
            case "unsuspend" -> dao.installationUnsuspended(id, login);
            default -> {
                return DeliveryOutcome.of("ignored: installation " + e.action());
            }
        }
        return DeliveryOutcome.of("installation " + id + " (" + login + ") " + e.action());
    }

    private static DeliveryOutcome installationRepositories(GitHubDao dao, JsonNode p) {
        long id = WebhookEvent.installationId(p);
        // Every name is checked before anything is written: a malformed entry refuses the whole delivery.
        List<String> added = repositories(p.path("repositories_added"), "repositories_added");
        List<String> removed = repositories(p.path("repositories_removed"), "repositories_removed");
        dao.installationCreated(id, Optional.ofNullable(text(p.path("installation").path("account"), "login"))
                .orElse("unknown"));
        added.forEach(r -> dao.repositoryAdded(id, r));
        removed.forEach(r -> dao.repositoryRemoved(id, r));
        return DeliveryOutcome.of("installation " + id + ": " + added.size() + " repositories added, "
                + removed.size() + " removed");
    }

    /** The names of a payload's repository list (absent: none), each checked, or a 400 naming the entry. */
    private static List<String> repositories(JsonNode list, String field) {
        if (list.isMissingNode() || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new WebhookRejected(field + " must be a list of repositories");
        }
        List<String> names = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            names.add(WebhookEvent.repositoryName(list.get(i), field + "[" + i + "]"));
        }
        return names;
    }
}
