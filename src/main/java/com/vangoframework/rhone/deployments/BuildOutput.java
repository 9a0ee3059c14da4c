package com.vangoframework.rhone.deployments;

import java.time.Duration;

/**
 * What a build wrote besides its row (its log lines) that may still be on its way to the
 * database: a build that ran on while the database was out of reach keeps it, and its outcome is
 * recorded only after it. The queue owns this port; {@code logs.LogStore} implements it.
 */
public interface BuildOutput {

    /**
     * Waits up to {@code max} for everything deployment {@code deploymentId} wrote on this node to
     * be stored (or given up for good); false while some of it still waits for the database.
     */
    boolean awaitStored(long deploymentId, Duration max);

    /**
     * This node cannot tell whether it still holds the build (a renewal of its lease failed): what
     * the build writes is kept, not written, until {@link #release} or {@link #discard}. Writing it
     * before the lease is confirmed could put it into another node's build of the same row.
     */
    void hold(long deploymentId);

    /** The lease is confirmed again: what was kept is written now. */
    void release(long deploymentId);

    /**
     * This node has lost the build to another one: what it still holds is dropped (and said so in
     * the service log), so it does not land in the other build's log.
     */
    void discard(long deploymentId);

    /** Nothing is ever held back. */
    BuildOutput NONE = new BuildOutput() {
        @Override
        public boolean awaitStored(long deploymentId, Duration max) {
            return true;
        }

        @Override
        public void hold(long deploymentId) {
        }

        @Override
        public void release(long deploymentId) {
        }

        @Override
        public void discard(long deploymentId) {
        }
    };
}
