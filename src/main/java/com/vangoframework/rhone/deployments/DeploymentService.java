package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.SqlFailure;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** Requests, supersedes, cancels and retries deployments; the queue picks them up from the table. */
public final class DeploymentService {

    private final Jdbi jdbi;
    private final DeploymentDao dao;
    private final DeploymentEvents events;
    private final RequestFollowUp followUp;

    /** Follow-ups run on the requesting thread, after its commit: for tools and tests without a lifecycle. */
    public DeploymentService(Jdbi jdbi) {
        this(jdbi, DeploymentEvents.NONE, Runnable::run);
    }

    /** {@code followUps} runs what follows a request (see {@link #published}); the lifecycle owns it. */
    public DeploymentService(Jdbi jdbi, DeploymentEvents events, Executor followUps) {
        this.jdbi = jdbi;
        this.dao = jdbi.onDemand(DeploymentDao.class);
        this.events = events;
        this.followUp = new RequestFollowUp(jdbi, events, followUps);
    }

    /**
     * For callers that created deployments inside their own transaction, once it committed: the
     * listeners hear of them, and older pending requests of the same branches are superseded and
     * the queues woken, off the caller's thread.
     */
    public void published(List<Long> createdIds) {
        createdIds.forEach(events::changed);
        followUp.created(createdIds);
    }

    /** Records the request; see {@link #published}. */
    public Deployment request(NewDeployment request) {
        Deployment created = jdbi.inTransaction(handle -> insert(handle, request));
        published(List.of(created.id()));
        return created;
    }

    /** What a request with an idempotency key came to; {@code replayed}: an earlier request with the key made it. */
    public record Requested(Deployment deployment, boolean replayed) {
    }

    /**
     * The deployment an earlier request with this key made, if the key is live; a conflict when
     * that request asked for something else. Asked before a request is counted against any limit:
     * a retry spends nothing.
     */
    public Optional<Deployment> earlier(IdempotencyKey key) {
        Optional<IdempotencyKeyDao.Recorded> recorded = jdbi.onDemand(IdempotencyKeyDao.class)
                .find(key, IdempotencyKey.LIFETIME.toSeconds());
        if (recorded.isPresent() && !key.sameRequestAs(recorded.get().requestSha256())) {
            throw new IdempotencyConflict();
        }
        return recorded.flatMap(r -> dao.findById(r.deploymentId()));
    }

    /**
     * Records the request and its key in one transaction, so a deployment never exists without its
     * key nor the key without it. Two requests with one key at once: the second waits at the key
     * for the first's commit, then rolls its own deployment back and answers with the first's.
     */
    public Requested request(NewDeployment request, IdempotencyKey key) {
        if (key.appId() != request.appId()) {
            throw new IllegalArgumentException("the idempotency key belongs to another app");
        }
        try {
            Deployment created = jdbi.inTransaction(handle -> {
                Deployment d = insert(handle, request);
                IdempotencyKeyDao keys = handle.attach(IdempotencyKeyDao.class);
                if (!keys.claim(key, d.id(), IdempotencyKey.LIFETIME.toSeconds())) {
                    throw new KeyTaken();
                }
                return d;
            });
            published(List.of(created.id()));
            return new Requested(created, false);
        } catch (KeyTaken taken) {
            return new Requested(earlier(key).orElseThrow(() -> new IllegalStateException(
                    "an idempotency key was taken by a request whose deployment is gone")), true);
        }
    }

    /** Inserts the request in the handle's transaction and reads the row back; publishes nothing. */
    public static Deployment insert(Handle handle, NewDeployment request) {
        long id;
        try {
            id = DeploymentInsert.insert(handle.getConnection(), request);
        } catch (SQLException e) {
            if ("23503".equals(e.getSQLState())) { // foreign_key_violation: delete-app committed first
                throw new AppGone(request.appId());
            }
            throw new SqlFailure("requesting a deployment of app " + request.appId(), e);
        }
        return handle.attach(DeploymentDao.class).findById(id).orElseThrow();
    }

    /**
     * Lets a fork's waiting pull request build; {@code approvedBy} is {@code github:<login>} or
     * {@code rhone:<login>}. Empty when it is not waiting (approved already, cancelled, superseded).
     * The caller publishes the deployment after its commit, as for a request.
     */
    public Optional<Deployment> approve(Handle handle, long deploymentId, String approvedBy) {
        return handle.attach(DeploymentDao.class).approve(deploymentId, approvedBy);
    }

    /** {@link #approve} by a person of the app's team, in its own transaction; a conflict when not waiting. */
    public Deployment approve(Deployment deployment, String approvedBy) {
        Optional<Deployment> approved = jdbi.inTransaction(h -> approve(h, deployment.id(), approvedBy));
        if (approved.isEmpty()) {
            String now = dao.findById(deployment.id()).map(d -> d.status().dbValue()).orElse("gone");
            throw new DeploymentConflict("deployment " + deployment.id() + " is " + now
                    + ", not awaiting approval");
        }
        published(List.of(deployment.id()));
        return approved.get();
    }

    /** A closed pull request's pending builds (and those waiting for approval) are pointless now. */
    public int cancelPendingPullRequest(Handle handle, long appId, int number) {
        return handle.attach(DeploymentDao.class).cancelPendingPullRequest(appId, number,
                "cancelled: pull request #" + number + " was closed");
    }

    public Optional<Deployment> find(App app, long id) {
        return dao.findForApp(app.id(), id);
    }

    /**
     * A new deployment of the same commit and branch; only a finished build can be retried. A
     * retry of a fork's pull request stays a fork's build (no env vars, the {@code -pr}
     * repository); asked for by a person of the team ({@code requestedBy}), it counts as approval.
     */
    public Deployment retry(App app, Deployment original, String requestedBy) {
        if (!original.status().isBuildFinished()) {
            throw new DeploymentConflict("deployment " + original.id() + " is still " + original.status().dbValue()
                    + "; cancel it or wait for it to finish before retrying");
        }
        NewDeployment.Origin origin = original.fromFork()
                ? new NewDeployment.Origin(true, original.headRepository(), false, requestedBy)
                : NewDeployment.Origin.OWN;
        return request(new NewDeployment(app.id(), DeploymentTrigger.RETRY, original.branch(), original.commitSha(),
                original.commitMessage(), original.commitAuthor(), original.pullRequestNumber(), original.id(),
                origin));
    }

    /**
     * A pending deployment (or one awaiting approval) is cancelled at once; a running one is asked to stop (its node sees
     * the request through NOTIFY or its next lease renewal) and ends as {@code cancelled}.
     */
    public Deployment cancel(Deployment deployment) {
        // The row can move between the two statements (claimed, or requeued by a reaper), so
        // look again until one of them applies or the build is over.
        for (int round = 0; round < 5; round++) {
            Optional<Deployment> cancelled = dao.cancelPending(deployment.id(), "cancelled");
            if (cancelled.isPresent()) {
                events.changed(deployment.id());
                return cancelled.get();
            }
            Optional<Deployment> requested = dao.requestCancel(deployment.id());
            if (requested.isPresent()) {
                return requested.get();
            }
            Deployment now = dao.findById(deployment.id()).orElse(deployment);
            if (now.status() != DeploymentStatus.PENDING && now.status() != DeploymentStatus.AWAITING_APPROVAL
                    && !now.status().isActive()) {
                throw new DeploymentConflict("deployment " + now.id() + " already finished as " + now.status().dbValue());
            }
        }
        throw new DeploymentConflict("deployment " + deployment.id() + " changed state while cancelling; try again");
    }

    /** The app was deleted while a request for it was on its way (the request changed nothing). */
    public static final class AppGone extends RuntimeException {
        public AppGone(long appId) {
            super("app " + appId + " was deleted while this request was made");
        }
    }

    /** An idempotency key used again, within its lifetime, for a different request (HTTP 422). */
    public static final class IdempotencyConflict extends RuntimeException {
        public IdempotencyConflict() {
            super("this Idempotency-Key was used for a different request to this app in the last "
                    + IdempotencyKey.LIFETIME.toHours() + " hours; a new request needs a new key");
        }
    }

    /** Rolls back a request whose key a concurrent request with the same key recorded first. */
    private static final class KeyTaken extends RuntimeException {
        KeyTaken() {
            super(null, null, false, false);
        }
    }

    /** An action that the deployment's current status does not allow (HTTP 409). */
    public static final class DeploymentConflict extends RuntimeException {
        public DeploymentConflict(String message) {
            super(message);
        }
    }
}
