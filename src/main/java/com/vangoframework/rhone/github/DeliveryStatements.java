package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.db.StoredText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What every delivery's transaction runs, as plain JDBC on the transaction's connection. This is
 * the one path that takes GitHub's whole delivery rate: through JDBI SQL objects (attach, bind by
 * reflection, constructor mapping, Dropwizard's per-statement timer) these three statements cost
 * several times the CPU and allocation of the statements themselves, which showed in the
 * endpoint's p99 as garbage-collection pauses. The rest of the service keeps JDBI.
 */
final class DeliveryStatements {

    /** A delivery as recorded, with its outcome and the deployments it created. */
    record Delivery(String deliveryId, String event, String action, Long installationId, String repository,
                    String outcome, long[] deploymentIds) {
    }

    /** An app a delivery may build: only what routing needs. */
    record Target(long id, String branch, App.ForkPolicy forkPolicy) {
    }

    // Each statement starts with its name, as JDBI's statements do, for pg_stat_activity.
    private static final String APPS_OF = """
            /* DeliveryStatements.appsOf */
            SELECT id, branch, fork_pull_requests FROM apps
             WHERE lower(github_repo) = lower(?) AND installation_id = ?
               AND NOT EXISTS (SELECT 1 FROM github_installations i WHERE i.id = ?
                                  AND (i.suspended_at IS NOT NULL OR i.deleted_at IS NOT NULL))
             ORDER BY id""";
    private static final String INSTALLATION_ACTIVE = """
            /* DeliveryStatements.installationActive */
            SELECT coalesce((SELECT suspended_at IS NULL AND deleted_at IS NULL FROM github_installations WHERE id = ?),
                            true)""";
    private static final String RECORD = """
            /* DeliveryStatements.record */
            INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, repository, outcome,
                                            deployment_ids)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (delivery_id) DO NOTHING""";
    private static final String OUTCOME_OF =
            "/* DeliveryStatements.outcomeOf */ SELECT outcome FROM webhook_deliveries WHERE delivery_id = ?";

    private DeliveryStatements() {
    }

    /** The apps built from this repository through this installation, none while it is suspended or deleted. */
    static List<Target> appsOf(Connection c, String repository, long installationId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(APPS_OF)) {
            s.setString(1, repository);
            s.setLong(2, installationId);
            s.setLong(3, installationId);
            try (ResultSet rs = s.executeQuery()) {
                List<Target> apps = new ArrayList<>(2);
                while (rs.next()) {
                    apps.add(new Target(rs.getLong(1), rs.getString(2), App.ForkPolicy.fromDb(rs.getString(3))));
                }
                return apps;
            }
        }
    }

    /** An installation may build unless GitHub told us it is suspended or deleted. */
    static boolean installationActive(Connection c, long installationId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSTALLATION_ACTIVE)) {
            s.setLong(1, installationId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** True when the delivery is new; false for a redelivery of one already recorded. */
    static boolean record(Connection c, Delivery d) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(RECORD)) {
            // The payload's text as GitHub (or whoever signed it) sent it: no NUL reaches the table.
            s.setString(1, d.deliveryId());
            s.setString(2, StoredText.clean(d.event()));
            s.setString(3, StoredText.clean(d.action()));
            if (d.installationId() == null) {
                s.setNull(4, Types.BIGINT);
            } else {
                s.setLong(4, d.installationId());
            }
            s.setString(5, StoredText.clean(d.repository()));
            s.setString(6, StoredText.clean(d.outcome()));
            s.setObject(7, d.deploymentIds()); // the driver sends a long[] as bigint[]
            return s.executeUpdate() == 1;
        }
    }

    /** What a delivery already recorded came to. */
    static Optional<String> outcomeOf(Connection c, String deliveryId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(OUTCOME_OF)) {
            s.setString(1, deliveryId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }
}
