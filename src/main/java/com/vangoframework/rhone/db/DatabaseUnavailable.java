package com.vangoframework.rhone.db;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

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

    public static boolean isCause(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLTimeoutException
                    || t instanceof SocketTimeoutException || t instanceof ConnectException
                    || t instanceof org.apache.tomcat.jdbc.pool.PoolExhaustedException) {
                return true;
            }
            if (t instanceof SQLException sql && unavailableState(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Class 08 (connection exception: refused, broken, timed out); 57014, a statement cancelled by
     * statement_timeout; 57P01–57P03, a server shutting down, crashed or still starting; 53300, no
     * connection slot left.
     */
    private static boolean unavailableState(String state) {
        return state != null && (state.startsWith("08") || state.equals("57014") || state.equals("57P01")
                || state.equals("57P02") || state.equals("57P03") || state.equals("53300"));
    }
}
