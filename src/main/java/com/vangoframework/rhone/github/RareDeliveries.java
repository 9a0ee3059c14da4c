package com.vangoframework.rhone.github;

import static com.vangoframework.rhone.github.WebhookEvent.sha;
import static com.vangoframework.rhone.github.WebhookEvent.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.github.DeliveryStatements.Target;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The deliveries that need more than the shared statements, in a JDBI transaction: installations
 * created, changed or removed, a closed pull request's pending builds cancelled, and the deployment
 * behind a re-requested check run looked up. They are rare next to pushes, so JDBI's cost does not
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
        return DeliveryOutcome.of("pull request #" + number + " closed: " + cancelled + " pending build(s) cancelled");
    }

    private DeliveryOutcome checkRun(Handle h, List<Target> apps, WebhookEvent e) throws SQLException {
        JsonNode run = e.payload().path("check_run");
        boolean rebuild = "requested_action".equals(e.action())
                && WebhookHandler.REBUILD_ACTION.equals(text(e.payload().path("requested_action"), "identifier"));
        if (!"rerequested".equals(e.action()) && !rebuild) {
            return DeliveryOutcome.of("ignored: check_run " + e.action());
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
        return BuildRequests.create(h.getConnection(), List.of(app), a -> new NewDeployment(a.id(),
                DeploymentTrigger.REREQUESTED, d.branch(), sha, d.commitMessage(), d.commitAuthor(),
                d.pullRequestNumber(), d.id()));
    }

    private static DeliveryOutcome installation(GitHubDao dao, WebhookEvent e) {
        JsonNode p = e.payload();
        long id = p.path("installation").path("id").asLong();
        String login = Optional.ofNullable(text(p.path("installation").path("account"), "login")).orElse("unknown");
        switch (String.valueOf(e.action())) {
            case "created" -> {
                dao.installationCreated(id, login);
                p.path("repositories").forEach(r -> dao.repositoryAdded(id, text(r, "full_name")));
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
        long id = p.path("installation").path("id").asLong();
        dao.installationCreated(id, Optional.ofNullable(text(p.path("installation").path("account"), "login"))
                .orElse("unknown"));
        p.path("repositories_added").forEach(r -> dao.repositoryAdded(id, text(r, "full_name")));
        p.path("repositories_removed").forEach(r -> dao.repositoryRemoved(id, text(r, "full_name")));
        return DeliveryOutcome.of("installation " + id + ": " + p.path("repositories_added").size()
                + " repositories added, " + p.path("repositories_removed").size() + " removed");
    }
}
