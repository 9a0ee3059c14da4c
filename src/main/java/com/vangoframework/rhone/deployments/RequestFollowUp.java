package com.vangoframework.rhone.deployments;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a committed request, off the requesting thread (a webhook's answer must not wait
 * for it): older pending requests of the same app and branch give way to the newest, and every
 * node's queue is woken with a NOTIFY.
 *
 * <p>Both happen in one short transaction with {@code synchronous_commit} off, and requests that
 * arrive meanwhile are handled together (one drain at a time takes everything that came in): a
 * burst of pushes costs one transaction, not one per push. The same transaction announces the new
 * rows to the live dashboard pages. Neither step has to survive a crash: a lost wake-up is covered by the queues' poll, a lost supersede only
 * means an older commit is built once more, and a lost announcement waits for the row's next
 * status change (or a reload) to show.
 */
final class RequestFollowUp {

    private static final Logger LOG = LoggerFactory.getLogger(RequestFollowUp.class);

    private final Jdbi jdbi;
    private final DeploymentEvents events;
    private final Executor executor;
    private final ConcurrentLinkedQueue<Long> created = new ConcurrentLinkedQueue<>();
    private boolean draining; // guarded by this

    /** {@code executor} is the lifecycle's, so it is stopped with the service. */
    RequestFollowUp(Jdbi jdbi, DeploymentEvents events, Executor executor) {
        this.jdbi = jdbi;
        this.events = events;
        this.executor = executor;
    }

    /** Deployments whose creating transaction has committed. */
    void created(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        created.addAll(ids);
        synchronized (this) {
            if (draining) {
                return; // the running drain takes these too
            }
            draining = true;
        }
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException stopping) {
            synchronized (this) {
                draining = false; // the service is stopping: the queues' poll finds the requests
            }
        }
    }

    private void drain() {
        while (true) {
            List<Long> batch = new ArrayList<>();
            synchronized (this) {
                for (Long id = created.poll(); id != null; id = created.poll()) {
                    batch.add(id);
                }
                if (batch.isEmpty()) {
                    draining = false;
                    return;
                }
            }
            try {
                followUp(batch);
            } catch (Throwable t) { // the drain must go on to the next batch whatever one throws
                LOG.error("Following up deployments {} failed", batch, t);
            }
        }
    }

    private void followUp(List<Long> ids) {
        try {
            List<RequestStatements.Superseded> superseded = jdbi.inTransaction(h -> {
                h.execute("SET LOCAL synchronous_commit TO OFF");
                long[] created = ids.stream().mapToLong(Long::longValue).toArray();
                RequestStatements statements = h.attach(RequestStatements.class);
                statements.takeTurn(RequestStatements.SUPERSEDE_LOCK);
                List<RequestStatements.Superseded> rows = statements.supersedeOlderPending(created);
                statements.announce(created);
                h.execute("SELECT pg_notify(?, '')", BuildQueue.QUEUE_CHANNEL);
                return rows;
            });
            if (!superseded.isEmpty()) {
                LOG.info("Superseded by newer requests of the same branch: {}", superseded.stream()
                        .map(s -> s.id() + " by " + s.newer()).collect(java.util.stream.Collectors.joining(", ")));
                superseded.forEach(s -> events.changed(s.id()));
            }
        } catch (RuntimeException e) {
            // The requests are committed and the queues' poll will find them.
            LOG.warn("Superseding and announcing deployments {} failed; the queue's poll picks them up", ids, e);
        }
    }
}
