package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running build sees: its deployment and app, a way to report phases, and whether it has
 * been told to stop. Phase changes are compare-and-sets fenced by the lease, so a build whose
 * lease was taken over cannot write over the new owner's progress.
 */
public final class BuildContext {

    /** Why a build was told to stop before it finished. */
    public enum AbortReason {
        /** A user cancelled it. */
        CANCELLED,
        /** It ran past the app's build timeout. */
        TIMED_OUT,
        /** This node is shutting down; the build goes back to the queue. */
        SHUTDOWN,
        /** Another node took the row over (our lease expired). */
        LEASE_LOST
    }

    private static final Logger LOG = LoggerFactory.getLogger(BuildContext.class);

    private final Deployment deployment;
    private final App app;
    private final DeploymentDao dao;
    private final DeploymentEvents events;
    private final AtomicReference<DeploymentStatus> status;
    private final AtomicReference<AbortReason> abortReason = new AtomicReference<>();
    private final List<Runnable> abortCallbacks = new CopyOnWriteArrayList<>();
    private Thread worker; // guarded by this

    /** The queue creates these for claimed rows; tests of pipeline steps may too. */
    public BuildContext(Deployment deployment, App app, DeploymentDao dao) {
        this(deployment, app, dao, DeploymentEvents.NONE);
    }

    BuildContext(Deployment deployment, App app, DeploymentDao dao, DeploymentEvents events) {
        this.deployment = deployment;
        this.app = app;
        this.dao = dao;
        this.events = events;
        this.status = new AtomicReference<>(deployment.status());
    }

    public Deployment deployment() {
        return deployment;
    }

    public App app() {
        return app;
    }

    public DeploymentStatus status() {
        return status.get();
    }

    /**
     * Moves the build to its next phase.
     *
     * @throws BuildAbortedException if the build was told to stop or its lease is gone
     */
    public void advance(DeploymentStatus next) throws BuildAbortedException {
        throwIfAborted();
        DeploymentStatus from = status.get();
        if (dao.advance(deployment.lease(), from, next) == 0) {
            abort(AbortReason.LEASE_LOST);
            throw new BuildAbortedException(AbortReason.LEASE_LOST);
        }
        status.set(next);
        events.changed(deployment.id());
    }

    /** Records the checked-out commit on the row (fenced by the lease like every other write). */
    public void recordCommit(String sha, String message, String author) throws BuildAbortedException {
        String cut = message != null && message.length() > 10_000 ? message.substring(0, 10_000) : message;
        if (dao.recordCommit(deployment.lease(), sha, cut, author) == 0) {
            abort(AbortReason.LEASE_LOST);
            throw new BuildAbortedException(AbortReason.LEASE_LOST);
        }
        events.changed(deployment.id()); // a manual deploy's Check Run can be created once the SHA is known
    }

    public boolean isAborted() {
        return abortReason.get() != null;
    }

    public AbortReason abortReason() {
        return abortReason.get();
    }

    public void throwIfAborted() throws BuildAbortedException {
        AbortReason reason = abortReason.get();
        if (reason != null) {
            throw new BuildAbortedException(reason);
        }
    }

    /**
     * Runs {@code callback} when the build is aborted (at once if it already was), e.g. to kill a
     * process tree. A callback registered while an abort is under way may run twice: keep it idempotent.
     */
    public void onAbort(Runnable callback) {
        abortCallbacks.add(callback);
        if (isAborted()) {
            runSafely(callback);
        }
    }

    /** The first reason wins: a timeout that fires after a cancel does not turn it into a failure. */
    public void abort(AbortReason reason) {
        if (!abortReason.compareAndSet(null, reason)) {
            return;
        }
        LOG.info("Deployment {} aborting: {}", deployment.id(), reason);
        abortCallbacks.forEach(BuildContext::runSafely);
        synchronized (this) {
            if (worker != null) {
                worker.interrupt();
            }
        }
    }

    synchronized void bindWorker(Thread thread) {
        this.worker = thread;
    }

    /**
     * Detaches the worker thread; once this returns no abort can interrupt it any more, so the
     * thread's next build does not inherit this one's interrupt. Clears a flag already delivered.
     */
    void unbindWorker() {
        synchronized (this) {
            worker = null;
        }
        Thread.interrupted();
    }

    private static void runSafely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warn("An abort callback failed", e);
        }
    }

    /** Thrown by {@link #advance} and {@link #throwIfAborted()} once the build must stop. */
    public static final class BuildAbortedException extends Exception {
        private final AbortReason reason;

        public BuildAbortedException(AbortReason reason) {
            super("build aborted: " + reason.name().toLowerCase(java.util.Locale.ROOT));
            this.reason = reason;
        }

        public AbortReason reason() {
            return reason;
        }
    }
}
