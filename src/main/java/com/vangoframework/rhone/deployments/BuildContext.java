package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.DatabaseFailures;
import com.vangoframework.rhone.db.StoredText;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running build sees: its deployment and app, a way to report phases, and whether it has
 * been told to stop. Phase changes are compare-and-sets fenced by the lease, so a build whose
 * lease was taken over cannot write over the new owner's progress.
 *
 * <p>Progress writes (phases, the checked-out commit) go to the database in order on a writer
 * executor, so the build itself never waits for them. A write that matches no row asks the queue
 * whether the claim still holds (a node cut off from the database may take its reaped row back)
 * and aborts the build when it does not. A write the database could not take is kept and tried
 * again before the next one. The queue waits for them with {@link #catchUpWrites()} before
 * recording the outcome.
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

    /** Asked when a write of this build matched no row: true when the claim still holds (or was taken back). */
    @FunctionalInterface
    interface LeaseCheck {
        boolean stillHeld(BuildContext ctx);

        LeaseCheck NEVER = ctx -> false;
    }

    private static final Logger LOG = LoggerFactory.getLogger(BuildContext.class);

    private final Deployment deployment;
    private final App app;
    private final DeploymentDao dao;
    private final DeploymentEvents events;
    private final AtomicReference<DeploymentStatus> status;
    private final Executor writer;
    private final Executor aborts;
    private final LeaseCheck leaseCheck;
    private final Object writesLock = new Object();
    private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null); // guarded by writesLock
    /** Writes the database could not take, oldest first; touched only by write tasks, which run one at a time. */
    private final ArrayDeque<java.util.function.Supplier<Boolean>> unwritten = new ArrayDeque<>();
    private volatile boolean allWritten = true;
    private volatile DeploymentStatus recorded;
    /** When the lease was last renewed (first: the claim); when renewals started failing since, or null. */
    private volatile Instant lastRenewal;
    private volatile Instant contactLostAt;
    private volatile Duration lastOutage;
    private volatile boolean outcomeRecorded;
    private final AtomicReference<AbortReason> abortReason = new AtomicReference<>();
    private volatile boolean shutdownRequested;
    private final List<Runnable> abortCallbacks = new CopyOnWriteArrayList<>();
    private Thread worker; // guarded by this

    /** For tests of pipeline steps: progress is written on the calling thread. */
    public BuildContext(Deployment deployment, App app, DeploymentDao dao) {
        this(deployment, app, dao, DeploymentEvents.NONE, Runnable::run, Runnable::run);
    }

    /** {@code aborts} runs the abort a write triggers: killing a process tree must not hold a writer. */
    BuildContext(Deployment deployment, App app, DeploymentDao dao, DeploymentEvents events, Executor writer,
                 Executor aborts) {
        this(deployment, app, dao, events, writer, aborts, LeaseCheck.NEVER, Instant.now());
    }

    /** {@code claimedAt}: when this node claimed the row, the lease's first "renewal". */
    BuildContext(Deployment deployment, App app, DeploymentDao dao, DeploymentEvents events, Executor writer,
                 Executor aborts, LeaseCheck leaseCheck, Instant claimedAt) {
        this.deployment = deployment;
        this.app = app;
        this.dao = dao;
        this.events = events;
        this.writer = writer;
        this.aborts = aborts;
        this.leaseCheck = leaseCheck;
        this.status = new AtomicReference<>(deployment.status());
        this.recorded = deployment.status();
        this.lastRenewal = claimedAt;
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
     * Moves the build to its next phase; the row follows on the writer.
     *
     * @throws BuildAbortedException if the build was told to stop (a lost lease included)
     */
    public void advance(DeploymentStatus next) throws BuildAbortedException {
        throwIfAborted();
        DeploymentStatus from = status.get();
        if (!from.canMoveTo(next) || !next.isActive()) {
            throw new IllegalStateException("a running build cannot move from " + from + " to " + next);
        }
        status.set(next);
        write(() -> {
            // Phases that were passed while the writer was busy are not written one by one:
            // the row moves from what it holds to the phase the build is in now.
            DeploymentStatus target = status.get();
            DeploymentStatus held = recorded;
            if (target == held || !target.isActive()) {
                return null; // an earlier write already took the row there
            }
            if (dao.advance(deployment.lease(), held, target) == 0) {
                return false;
            }
            recorded = target;
            return true;
        });
        throwIfAborted(); // a writer on the calling thread has already seen the lease
    }

    /**
     * Records the checked-out commit on the row (fenced by the lease like every other write). The
     * message and author are whatever the repository holds, NUL bytes included: made storable here.
     */
    public void recordCommit(String sha, String message, String author) throws BuildAbortedException {
        throwIfAborted();
        String cut = message != null && message.length() > 10_000 ? message.substring(0, 10_000) : message;
        String text = StoredText.clean(cut);
        String who = StoredText.clean(author);
        // A manual deploy's Check Run can be created once the SHA is known: listeners hear of it.
        write(() -> dao.recordCommit(deployment.lease(), sha, text, who) != 0);
        throwIfAborted();
    }

    /** The phase the row is known to be in: the last progress write that committed. */
    public DeploymentStatus recordedStatus() {
        return recorded;
    }

    /**
     * Waits until every progress write has been tried. A write that failed (the database was
     * unreachable for a moment) is kept: {@link #recordedStatus()} still says where the row is,
     * and {@link #catchUpWrites()} tries it again.
     */
    public void awaitWrites() {
        CompletableFuture<Void> pending;
        synchronized (writesLock) {
            pending = writes;
        }
        boolean interrupted = false;
        while (true) {
            try {
                pending.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the outcome must not be recorded ahead of the progress
            } catch (ExecutionException e) {
                // write() catches its own errors: only a writer that refused the task ends here
                LOG.warn("Deployment {}: the progress writer stopped before all progress was written",
                        deployment.id(), e.getCause());
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tries the writes the database could not take again, and waits: true once none is left. */
    boolean catchUpWrites() {
        write(null);
        awaitWrites();
        return allWritten;
    }

    /**
     * A write returns false when the lease no longer matches (this build must stop, unless the
     * queue finds the claim still holds), true when it changed the row, null when there was
     * nothing left to write. Null queues no statement: it only retries the kept ones.
     */
    private void write(java.util.function.Supplier<Boolean> statement) {
        synchronized (writesLock) {
            writes = writes.thenRunAsync(() -> {
                if (statement != null) {
                    unwritten.add(statement);
                }
                writeKept();
            }, writer);
        }
    }

    private void writeKept() {
        while (!unwritten.isEmpty()) {
            if (abortReason.get() == AbortReason.LEASE_LOST) {
                unwritten.clear(); // the row is someone else's now
                break;
            }
            try {
                apply(unwritten.peek());
            } catch (RuntimeException e) {
                if (DatabaseFailures.isUnreachable(e)) {
                    if (allWritten) {
                        LOG.warn("Deployment {}: the database is out of reach; its progress is written when it "
                                + "answers, before the outcome", deployment.id(), e);
                    }
                    allWritten = false;
                    return; // kept, in order
                }
                // The statement itself failed: trying it again would not help. The next phase
                // write (or the outcome) moves the row on from the phase it holds.
                LOG.warn("Deployment {}: writing its progress failed; the next write or the outcome catches up",
                        deployment.id(), e);
            }
            unwritten.remove();
        }
        allWritten = true;
    }

    private void apply(java.util.function.Supplier<Boolean> statement) {
        Boolean written = statement.get();
        if (written != null && !written && leaseCheck.stillHeld(this)) {
            written = statement.get(); // the row was taken back: the same write again
        }
        if (written == null) {
            return;
        }
        if (written) {
            events.changed(deployment.id());
        } else {
            aborts.execute(() -> abort(AbortReason.LEASE_LOST));
        }
    }

    /** The lease was renewed at {@code now}; answers how long contact had been lost, if it had. */
    Duration leaseRenewed(Instant now) {
        Instant lost = contactLostAt;
        Duration outage = lost == null ? null : Duration.between(lastRenewal, now);
        if (outage != null) {
            lastOutage = outage;
        }
        lastRenewal = now;
        contactLostAt = null;
        return outage;
    }

    /** A renewal could not reach the database; true when this starts an outage. */
    boolean renewalFailed(Instant now) {
        if (contactLostAt != null) {
            return false;
        }
        contactLostAt = now;
        return true;
    }

    /**
     * How long this build's node was out of contact with the database, measured from the last
     * renewal: the outage going on now, else the last one that ended; zero when there was none.
     */
    Duration outage(Instant now) {
        if (contactLostAt != null) {
            return Duration.between(lastRenewal, now);
        }
        Duration last = lastOutage;
        return last == null ? Duration.ZERO : last;
    }

    /** The row holds this build's outcome: its lease is gone because it ended, not because it was lost. */
    void outcomeRecorded() {
        outcomeRecorded = true;
    }

    boolean isOutcomeRecorded() {
        return outcomeRecorded;
    }

    /** When the lease was last renewed (the claim, before the first renewal). */
    Instant lastRenewal() {
        return lastRenewal;
    }

    public boolean isAborted() {
        return abortReason.get() != null;
    }

    /** The stopping node asked this build to end (whatever reason, if any, came before). */
    boolean shutdownRequested() {
        return shutdownRequested;
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
        if (reason == AbortReason.SHUTDOWN) {
            shutdownRequested = true; // even when another reason came first: the node is stopping
        }
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
