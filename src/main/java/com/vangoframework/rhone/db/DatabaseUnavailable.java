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

    /**
     * What the driver or the pool said, in one line for the service log (a stack trace per refused
     * request would flood it through a long outage; the cause is known): the innermost SQL
     * failure's SQLSTATE and the first line of its message, at most 200 characters.
     */
    public static String reason(Throwable failure) {
        java.sql.SQLException innermost = null;
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                innermost = sql;
            }
        }
        if (innermost == null) {
            return failure.getClass().getSimpleName();
        }
        String message = String.valueOf(innermost.getMessage()).lines().findFirst().orElse("");
        if (message.length() > 200) {
            message = message.substring(0, 200) + "…";
        }
        return (innermost.getSQLState() == null ? "" : "SQLSTATE " + innermost.getSQLState() + ": ") + message;
    }
}
