package com.vangoframework.rhone.deployments;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;

/**
 * The statement that requests a deployment, as plain JDBC on the caller's connection (and so in
 * its transaction): a webhook delivery runs it next to its other statements without JDBI (see
 * {@code github.DeliveryStatements}), and the API runs it through a JDBI handle's connection.
 */
public final class DeploymentInsert {

    private static final String SQL = """
            /* DeploymentInsert.insert */
            INSERT INTO deployments (app_id, trigger, branch, commit_sha, commit_message, commit_author,
                                     pull_request_number, retry_of, status, from_fork, head_repository,
                                     approved_by, approved_at, before_sha)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN now() END, ?)
            RETURNING id""";

    private DeploymentInsert() {
    }

    /**
     * The new deployment's id; the caller publishes it after its commit ({@link DeploymentService#published}).
     * Past the team's quota of waiting deployments ({@link PendingQuota}) a request asked through
     * rhone is refused with {@link PendingQuota.Exceeded}, and one from GitHub is written already
     * cancelled, with the reason.
     */
    public static long insert(Connection c, NewDeployment r) throws SQLException {
        Optional<String> refused = PendingQuota.refusal(c, r);
        if (refused.isPresent() && !r.trigger().isFromGitHub()) {
            throw PendingQuota.exceeded(refused.get());
        }
        long id = row(c, r);
        if (refused.isPresent()) {
            PendingQuota.refuse(c, id, refused.get());
        }
        return id;
    }

    private static long row(Connection c, NewDeployment r) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SQL)) {
            s.setLong(1, r.appId());
            s.setString(2, r.trigger().dbValue());
            s.setString(3, r.branch());
            s.setString(4, r.commitSha());
            s.setString(5, r.commitMessage());
            s.setString(6, r.commitAuthor());
            if (r.pullRequestNumber() == null) {
                s.setNull(7, Types.INTEGER);
            } else {
                s.setInt(7, r.pullRequestNumber());
            }
            if (r.retryOf() == null) {
                s.setNull(8, Types.BIGINT);
            } else {
                s.setLong(8, r.retryOf());
            }
            NewDeployment.Origin origin = r.origin();
            s.setString(9, origin.initialStatus().dbValue());
            s.setBoolean(10, origin.fromFork());
            s.setString(11, origin.headRepository());
            s.setString(12, origin.approvedBy());
            s.setBoolean(13, origin.approvedBy() != null);
            s.setString(14, r.beforeSha());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
