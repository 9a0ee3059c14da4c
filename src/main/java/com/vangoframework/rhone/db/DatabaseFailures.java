package com.vangoframework.rhone.db;

import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Tells a database that could not be reached (or did not answer in time) from one that answered
 * with an error. The first passes: a running build goes on and writes what it holds once the
 * database answers again. The second is about the statement, and waiting does not cure it.
 */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * Whether {@code failure} says the database was out of reach: SQLSTATE class 08 (connection
     * exception: refused, broken, timed out on the socket), 57P01-57P03 (the server shutting down
     * or starting), 57014 (a statement cancelled by its timeout), 53300 (no connection slot), or a
     * JDBC failure without any SQLSTATE (the pool's own timeout). Only JDBC failures count: a
     * socket error of anything else (a registry, a git host) says nothing about the database.
     */
    public static boolean isUnreachable(Throwable failure) {
        boolean sqlSeen = false;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null) {
                    return state.startsWith("08") || state.startsWith("57P") || state.equals("57014")
                            || state.equals("53300");
                }
                sqlSeen = true;
            }
        }
        return sqlSeen;
    }
}
