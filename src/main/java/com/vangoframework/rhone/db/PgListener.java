package com.vangoframework.rhone.db;

import com.vangoframework.rhone.threads.FailureStreak;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one dedicated connection that LISTENs on a few channels and hands each notification's
 * payload to that channel's handler, on this thread (handlers must be quick). If the connection
 * drops it reconnects with back-off and calls {@code onConnected} again: whatever was sent while
 * nobody listened is unknown, so the owner looks at the database once.
 */
public final class PgListener implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(PgListener.class);

    private final DatabaseTarget target;
    private final String applicationName;
    private final Map<String, Consumer<String>> handlers;
    private final Runnable onConnected;
    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile Connection connection;
    private final FailureStreak failures;

    /** Channel names must be plain identifiers: they are part of the LISTEN statement. */
    public PgListener(DatabaseTarget target, String applicationName, Map<String, Consumer<String>> handlers,
                      Runnable onConnected) {
        handlers.keySet().forEach(channel -> {
            if (!channel.matches("[a-z_]{1,63}")) {
                throw new IllegalArgumentException("not a channel name: " + channel);
            }
        });
        this.target = target;
        this.applicationName = applicationName;
        this.handlers = new LinkedHashMap<>(handlers);
        this.onConnected = onConnected;
        this.failures = FailureStreak.of(LOG, applicationName + " listening for notifications", Clock.systemUTC());
    }

    public boolean isConnected() {
        return connected;
    }

    @Override
    public void run() {
        long backoffMillis = 100;
        while (running) {
            try (Connection c = open()) {
                connection = c;
                try (Statement st = c.createStatement()) {
                    for (String channel : handlers.keySet()) {
                        st.execute("LISTEN " + channel);
                    }
                }
                connected = true;
                backoffMillis = 100;
                failures.succeeded();
                onConnected.run();
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications != null) {
                        dispatch(notifications);
                    }
                }
            } catch (SQLException e) {
                connected = false;
                if (running) {
                    failures.failed(e); // reconnects with back-off, up to 10 s apart
                    sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 10_000);
                }
            } finally {
                connected = false;
            }
        }
    }

    private void dispatch(PGNotification[] notifications) {
        for (PGNotification n : notifications) {
            Consumer<String> handler = handlers.get(n.getName());
            if (handler == null) {
                continue;
            }
            try {
                handler.accept(n.getParameter());
            } catch (RuntimeException e) {
                LOG.warn("{}: the handler of channel {} failed on '{}'", applicationName, n.getName(),
                        n.getParameter(), e);
            }
        }
    }

    private Connection open() throws SQLException {
        // Opening is bounded (a paused server would otherwise hold a reconnect, and so stop(), for
        // as long as it is paused); reads are not: this connection sits idle between notifications
        // by design, and getNotifications bounds each wait itself.
        return target.openOwn(applicationName, 10, 0);
    }

    public void stop() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("Closing the listener connection failed", e);
            }
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
