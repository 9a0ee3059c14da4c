package com.vangoframework.rhone.db;

/**
 * Tells a database that could not be reached or did not answer in time (worth a 503 and a retry)
 * from every other failure (a bug: a logged 500). Looks through the whole cause chain, since JDBI,
 * the pool and {@link SqlFailure} each wrap the driver's exception.
 */
public final class DatabaseUnavailable {

    /** The seconds a client is asked to wait before it tries again. */
    public static final int RETRY_AFTER_SECONDS = 5;

    private DatabaseUnavailable() {
    }

    /**
     * Whether {@code failure} (through JDBI's, the pool's and {@link SqlFailure}'s wrappers) says
     * the database was out of reach: the one rule of {@link DatabaseFailures#isUnreachable}, so a
     * 503 here and a build that waits for the database agree on what an outage is.
     */
    public static boolean isCause(Throwable failure) {
        return DatabaseFailures.isUnreachable(failure);
    }
}
