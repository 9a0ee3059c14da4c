package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one dedicated connection that LISTENs for the queue's notifications: {@code rhone_queue}
 * (sent after new requests commit, and by the {@code deployments_notify} trigger when a row is
 * requeued or a build slot frees up) wakes the dispatcher,
 * {@code rhone_cancel} carries the id of a deployment someone asked to cancel. If the connection
 * drops it reconnects with back-off; meanwhile the dispatcher's slow poll keeps the queue moving.
 */
final class QueueListener implements Runnable {

    static final String QUEUE_CHANNEL = "rhone_queue";
    static final String CANCEL_CHANNEL = "rhone_cancel";
    private static final Logger LOG = LoggerFactory.getLogger(QueueListener.class);

    private final DatabaseTarget target;
    private final Runnable onQueueChange;
    private final LongConsumer onCancel;
    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile Connection connection;

    QueueListener(DatabaseTarget target, Runnable onQueueChange, LongConsumer onCancel) {
        this.target = target;
        this.onQueueChange = onQueueChange;
        this.onCancel = onCancel;
    }

    boolean isConnected() {
        return connected;
    }

    @Override
    public void run() {
        long backoffMillis = 100;
        while (running) {
            try (Connection c = open()) {
                connection = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + QUEUE_CHANNEL);
                    st.execute("LISTEN " + CANCEL_CHANNEL);
                }
                connected = true;
                backoffMillis = 100;
                // Anything sent while we were not listening is unknown: look at the queue once.
                onQueueChange.run();
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
                    LOG.warn("Queue notifications lost their connection; polling until it is back (retry in {} ms)",
                            backoffMillis, e);
                    sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 10_000);
                }
            } finally {
                connected = false;
            }
        }
    }

    private void dispatch(PGNotification[] notifications) {
        boolean queueChanged = false;
        for (PGNotification n : notifications) {
            if (QUEUE_CHANNEL.equals(n.getName())) {
                queueChanged = true;
            } else if (CANCEL_CHANNEL.equals(n.getName())) {
                try {
                    onCancel.accept(Long.parseLong(n.getParameter()));
                } catch (NumberFormatException e) {
                    LOG.warn("Ignoring a malformed cancel notification: {}", n.getParameter());
                }
            }
        }
        if (queueChanged) {
            onQueueChange.run();
        }
    }

    private Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", target.user());
        props.setProperty("password", target.password());
        props.setProperty("ApplicationName", "rhone-queue-listener");
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(target.jdbcUrl(), props);
    }

    void stop() {
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
