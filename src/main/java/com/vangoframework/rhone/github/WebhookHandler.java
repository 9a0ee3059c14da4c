package com.vangoframework.rhone.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.db.SqlFailure;
import com.vangoframework.rhone.deployments.DeploymentService;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a verified delivery into deployments, in one transaction with the delivery's record: a
 * redelivery (same {@code X-GitHub-Delivery}) finds the record and creates nothing, and a crash
 * between the two cannot leave one without the other. Every delivery's outcome is recorded.
 *
 * <p>The event picks the transaction before one opens: the rare deliveries that change
 * installations, cancel a closed pull request's builds or look up a check run's deployment
 * ({@link RareDeliveries}) get a JDBI transaction; all others ({@link BuildRequests}: pushes above
 * all) run as plain JDBC on a pooled connection, the path that takes GitHub's whole delivery rate.
 */
public final class WebhookHandler {

    /** What happened, as recorded and answered. */
    public record Result(boolean duplicate, String outcome, List<Long> deploymentIds) {
    }

    @FunctionalInterface
    private interface ConnectionWork<T> {
        T run(Connection connection) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);
    static final String REBUILD_ACTION = "rebuild";
    /** The requested action on a fork's waiting Check Run: "Approve and build". */
    static final String APPROVE_ACTION = "approve";

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final DeploymentService deployments;
    private final RareDeliveries rare;

    /** {@code dataSource} is the pool behind {@code jdbi}. */
    public WebhookHandler(DataSource dataSource, Jdbi jdbi, DeploymentService deployments) {
        this.dataSource = dataSource;
        this.jdbi = jdbi;
        this.deployments = deployments;
        this.rare = new RareDeliveries(deployments);
    }

    public Result handle(String deliveryId, String event, JsonNode payload) {
        WebhookEvent e = WebhookEvent.of(deliveryId, event, payload);
        Result result;
        try {
            result = RareDeliveries.takes(event, e.action())
                    ? inJdbiTransaction(h -> recorded(h.getConnection(), e, rare.route(h, e)))
                    : inTransaction(c -> recorded(c, e, BuildRequests.route(c, e)));
        } catch (Redelivery r) {
            String earlier = inTransaction(c -> DeliveryStatements.outcomeOf(c, deliveryId).orElse("recorded"));
            return new Result(true, "duplicate delivery: " + earlier, List.of());
        } catch (WebhookRejected rejected) {
            // Everything the delivery did is rolled back; only its record stays.
            recordRejected(deliveryId, event, e.action(), e.installation(), e.repository(), rejected.getMessage());
            throw rejected;
        }
        deployments.published(result.deploymentIds()); // committed: the Check Runs can be created now
        return result;
    }

    /**
     * Records a signed delivery that was refused (400) with the reason, so it is answered the same
     * way when redelivered and the redelivery job, which asks again for deliveries rhone never
     * recorded, leaves it alone. Nothing else is written. If even this fails, the 400 stands.
     */
    public void recordRejected(String deliveryId, String event, String action, Long installation, String repository,
                               String reason) {
        try {
            inTransaction(c -> DeliveryStatements.record(c, new DeliveryStatements.Delivery(deliveryId, event,
                    action, installation != null && installation > 0 ? installation : null, repository,
                    "rejected: " + reason, new long[0])));
        } catch (RuntimeException e) {
            LOG.warn("Could not record the refused GitHub delivery {}: {}", deliveryId, e.getMessage());
        }
    }

    /**
     * Records the delivery last, with its outcome: one statement. A redelivery of a delivery
     * already recorded (or being recorded right now: the insert waits for that transaction) finds
     * the id taken, and everything this attempt did is rolled back.
     */
    private static Result recorded(Connection c, WebhookEvent e, DeliveryOutcome outcome) throws SQLException {
        if (!DeliveryStatements.record(c, new DeliveryStatements.Delivery(e.deliveryId(), e.event(), e.action(),
                e.installation(), e.repository(), outcome.text(),
                outcome.ids().stream().mapToLong(Long::longValue).toArray()))) {
            throw new Redelivery();
        }
        return new Result(false, outcome.text(), outcome.ids());
    }

    private <T> T inJdbiTransaction(HandleCallback<T, SQLException> work) {
        try {
            return jdbi.inTransaction(work);
        } catch (SQLException e) {
            throw new SqlFailure("handling a GitHub delivery", e);
        }
    }

    private <T> T inTransaction(ConnectionWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (Throwable e) {
                // Everything, errors included: switching autocommit back on below would
                // otherwise commit half a delivery (a deployment without its record).
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException restore) {
                    // Only a broken connection refuses; the pool's check on borrow drops it. The
                    // delivery's own outcome (committed, or the error above) is what counts.
                    LOG.warn("Could not reset a pooled connection after a GitHub delivery: {}",
                            restore.getMessage());
                }
            }
        } catch (SQLException e) {
            throw new SqlFailure("handling a GitHub delivery", e);
        }
    }

    /** Rolls a redelivery's transaction back; carries nothing. */
    private static final class Redelivery extends RuntimeException {
        Redelivery() {
            super(null, null, false, false);
        }
    }
}
