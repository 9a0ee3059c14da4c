package com.vangoframework.rhone.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Turns a verified delivery into deployments, in one transaction with the delivery's record: a
 * redelivery (same {@code X-GitHub-Delivery}) finds the record and creates nothing, and a crash
 * between the two cannot leave one without the other. Every delivery's outcome is recorded.
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

    static final String REBUILD_ACTION = "rebuild";
    private static final Set<String> SKIP_MARKERS = Set.of("[skip ci]", "[ci skip]", "[skip rhone]");
    private static final String ZERO_SHA = "0".repeat(40);

    private final Jdbi jdbi;
    private final DeploymentService deployments;

    public WebhookHandler(Jdbi jdbi, DeploymentService deployments) {
        this.jdbi = jdbi;
        this.deployments = deployments;
    }

    public Result handle(String deliveryId, String event, JsonNode payload) {
        String action = text(payload, "action");
        Long installation = payload.path("installation").has("id") ? payload.path("installation").path("id").asLong() : null;
        String repository = text(payload.path("repository"), "full_name");
        Result result;
        try {
            result = jdbi.inTransaction(h -> {
                DeliveryStatements dao = h.attach(DeliveryStatements.class);
                Outcome outcome = route(h, dao, event, action, payload, installation, repository);
                // Recorded last, with its outcome: one statement. A redelivery of a delivery
                // already recorded (or being recorded right now: the insert waits for that
                // transaction) finds the id taken, and everything this attempt did is rolled back.
                if (!dao.record(new DeliveryStatements.Delivery(deliveryId, event, action, installation, repository,
                        outcome.text(), outcome.ids().stream().mapToLong(Long::longValue).toArray()))) {
                    throw new Redelivery();
                }
                return new Result(false, outcome.text(), outcome.ids());
            });
        } catch (Redelivery r) {
            return new Result(true, "duplicate delivery: " + jdbi.withExtension(GitHubDao.class,
                    dao -> dao.outcomeOf(deliveryId)).orElse("recorded"), List.of());
        }
        deployments.published(result.deploymentIds()); // committed: the Check Runs can be created now
        return result;
    }

    /** Rolls a redelivery's transaction back; carries nothing. */
    private static final class Redelivery extends RuntimeException {
        Redelivery() {
            super(null, null, false, false);
        }
    }

    private Outcome route(Handle h, DeliveryStatements dao, String event, String action, JsonNode p, Long installation,
                          String repository) {
        return switch (event) {
            case "ping" -> Outcome.of("pong");
            case "installation" -> installation(h.attach(GitHubDao.class), action, p);
            case "installation_repositories" -> installationRepositories(h.attach(GitHubDao.class), p);
            case "push", "pull_request", "check_run", "check_suite" -> {
                if (installation == null || repository == null) {
                    yield Outcome.of("ignored: no installation or repository in the payload");
                }
                // One statement on the common path: the apps come back only while the
                // installation may build; an empty answer is the rare case worth a second look.
                List<App> apps = dao.appsOf(repository, installation);
                if (apps.isEmpty() && !dao.installationActive(installation)) {
                    yield Outcome.of("ignored: installation " + installation + " is suspended or deleted");
                }
                yield switch (event) {
                    case "push" -> push(h, apps, p, repository);
                    case "pull_request" -> pullRequest(h, apps, action, p, repository);
                    case "check_run" -> checkRun(h, apps, action, p);
                    default -> checkSuite(h, apps, action, p, repository);
                };
            }
            default -> Outcome.of("ignored: " + event + " events are not used");
        };
    }

    private Outcome push(Handle h, List<App> apps, JsonNode p, String repository) {
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
        List<App> matching = apps.stream().filter(a -> a.branch().equals(branch)).toList();
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
        return create(h, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.PUSH, branch, sha, message,
                author, null, null));
    }

    private Outcome pullRequest(Handle h, List<App> apps, String action, JsonNode p, String repository) {
        JsonNode pr = p.path("pull_request");
        int number = p.path("number").asInt(pr.path("number").asInt());
        String base = text(pr.path("base"), "ref");
        List<App> matching = apps.stream().filter(a -> a.branch().equals(base)).toList();
        if (matching.isEmpty()) {
            return Outcome.of("ignored: no app builds pull requests into " + repository + " branch " + base);
        }
        if ("closed".equals(action)) {
            int cancelled = matching.stream().mapToInt(a -> deployments.cancelPendingPullRequest(h, a.id(), number)).sum();
            return Outcome.of("pull request #" + number + " closed: " + cancelled + " pending build(s) cancelled");
        }
        if (!Set.of("opened", "synchronize", "reopened").contains(action)) {
            return Outcome.of("ignored: pull_request " + action);
        }
        String sha = sha(text(pr.path("head"), "sha"), "pull_request.head.sha");
        String headBranch = branch(text(pr.path("head"), "ref"));
        String title = "PR #" + number + ": " + Optional.ofNullable(text(pr, "title")).orElse("");
        String author = text(pr.path("user"), "login");
        return create(h, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.PULL_REQUEST, headBranch, sha,
                title, author, number, null));
    }

    private Outcome checkRun(Handle h, List<App> apps, String action, JsonNode p) {
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
        Optional<Deployment> original = h.attach(DeploymentDao.class).findById(originalId)
                .filter(d -> apps.stream().anyMatch(a -> a.id() == d.appId()));
        if (original.isEmpty()) {
            return Outcome.of("ignored: deployment " + originalId + " is not an app of this repository");
        }
        Deployment d = original.get();
        String sha = sha(text(run, "head_sha"), "check_run.head_sha");
        App app = apps.stream().filter(a -> a.id() == d.appId()).findFirst().orElseThrow();
        return create(h, List.of(app), a -> new NewDeployment(a.id(), DeploymentTrigger.REREQUESTED, d.branch(), sha,
                d.commitMessage(), d.commitAuthor(), d.pullRequestNumber(), d.id()));
    }

    private Outcome checkSuite(Handle h, List<App> apps, String action, JsonNode p, String repository) {
        if (!"rerequested".equals(action)) {
            return Outcome.of("ignored: check_suite " + action);
        }
        JsonNode suite = p.path("check_suite");
        String branch = branch(text(suite, "head_branch"));
        String sha = sha(text(suite, "head_sha"), "check_suite.head_sha");
        List<App> matching = apps.stream().filter(a -> a.branch().equals(branch)).toList();
        if (matching.isEmpty()) {
            return Outcome.of("ignored: no app builds " + repository + " branch " + branch);
        }
        String message = text(suite.path("head_commit"), "message");
        String author = text(suite.path("head_commit").path("author"), "name");
        return create(h, matching, app -> new NewDeployment(app.id(), DeploymentTrigger.REREQUESTED, branch, sha,
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

    private Outcome create(Handle h, List<App> apps, java.util.function.Function<App, NewDeployment> request) {
        List<Long> ids = new ArrayList<>();
        for (App app : apps) {
            ids.add(deployments.request(h, request.apply(app)));
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
