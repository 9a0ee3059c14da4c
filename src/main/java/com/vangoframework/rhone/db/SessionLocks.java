package com.vangoframework.rhone.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * PostgreSQL session-level advisory locks ({@code pg_try_advisory_lock(int, int)}) on a connection
 * of their own, outside the pool. A lock may be held across a slow call elsewhere (to GitHub)
 * without holding a pooled connection that requests and builds need; and since any failure closes
 * this connection, which releases every lock it held, a lock can never go back to a pool with the
 * connection and stay held by nobody. A lost session also loses its locks: they order work, they
 * do not fence it, so what they guard must tolerate the rare overlap. One owner thread at a time.
 */
public final class SessionLocks implements AutoCloseable {

    private final DatabaseTarget target;
    private final String applicationName;
    private Connection connection; // guarded by this

    public SessionLocks(DatabaseTarget target, String applicationName) {
        this.target = target;
        this.applicationName = applicationName;
    }

    /** True when this session now holds the lock {@code (kind, key)}; false when another session does. */
    public synchronized boolean tryLock(int kind, int key) throws SQLException {
        return call("SELECT pg_try_advisory_lock(?, ?)", kind, key);
    }

    /** Lets go of {@code (kind, key)}; if the database cannot be told, the connection is closed, which lets go too. */
    public synchronized void unlock(int kind, int key) {
        try {
            call("SELECT pg_advisory_unlock(?, ?)", kind, key);
        } catch (SQLException e) {
            close();
        }
    }

    private boolean call(String sql, int kind, int key) throws SQLException {
        try {
            if (connection == null || connection.isClosed()) {
                // Bounded: opening waits 5 s at most, and a statement's answer 20 s.
                connection = target.openOwn(applicationName, 5, 20);
            }
            try (PreparedStatement st = connection.prepareStatement(sql)) {
                st.setInt(1, kind);
                st.setInt(2, key);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection: its session, and its locks, are gone either way
            }
            connection = null;
        }
    }
}
