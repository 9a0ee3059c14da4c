package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.db.StoredText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;

/**
 * Each team's quota of deployments waiting in the queue ({@code teams.pending_quota}, 50 unless
 * changed with {@code update-team}), so that one team's burst cannot push every other team's
 * builds back. Checked by every request, on the requesting transaction's connection, before its
 * row is written ({@link DeploymentInsert}).
 *
 * <ul>
 *   <li>Only {@code pending} rows count: a fork's pull request awaiting approval does not (anyone
 *       can open those; they must not fill the team's queue), and neither does an approval, a
 *       person's deliberate act on one row.</li>
 *   <li>A request that will supersede a pending one of the same branch (or pull request) is
 *       always let in, without taking the team's lock: the queue does not grow (if the one it
 *       supersedes is claimed meanwhile, the claim shrank the queue by as much), and refusing it
 *       would build the older commit. This is the common case of a burst of pushes, and it must
 *       not wait: the lock is held to the request's commit, so every request of a team that took
 *       it would go one commit at a time (a benchmark at 1,000 pushes a second to one branch
 *       stalled at 640 a second, with answers taking 16 s, before this path).</li>
 *   <li>Any other request is race-free across requests and nodes: the team's row is locked
 *       ({@code FOR NO KEY UPDATE}, which app inserts and other foreign keys do not wait for)
 *       until the transaction ends, and the count is asked again after the lock, in a statement
 *       of its own, so its snapshot includes every request that held the lock before.</li>
 * </ul>
 */
public final class PendingQuota {

    private static final String LOCK = """
            /* PendingQuota.lock */
            SELECT t.slug, t.pending_quota FROM teams t JOIN apps a ON a.team_id = t.id
             WHERE a.id = ? FOR NO KEY UPDATE OF t""";
    private static final String COUNT = """
            /* PendingQuota.count */
            SELECT CASE WHEN CAST(? AS boolean)
                        THEN (SELECT count(*) FROM deployments d JOIN apps a ON a.id = d.app_id
                               WHERE a.team_id = (SELECT team_id FROM apps WHERE id = ?) AND d.status = 'pending')
                   END,
                   EXISTS (SELECT 1 FROM deployments d
                            WHERE d.app_id = ? AND d.status = 'pending'
                              AND CASE WHEN CAST(? AS integer) IS NULL
                                       THEN d.pull_request_number IS NULL AND d.branch = ?
                                       ELSE d.pull_request_number = CAST(? AS integer) END)""";
    private static final String REFUSE = """
            /* PendingQuota.refuse */
            UPDATE deployments SET status = 'cancelled', error_message = ?, build_finished_at = now(),
                                   updated_at = now()
             WHERE id = ? AND status = 'pending'""";

    private PendingQuota() {
    }

    /** A request through the API or the dashboard past its team's quota (HTTP 429). */
    public static final class Exceeded extends RuntimeException {
        Exceeded(String message) {
            super(message);
        }
    }

    /**
     * Why the request may not join the queue, or empty when it may. Takes the team's lock when
     * the request would join the queue; the caller's transaction holds it until it ends.
     */
    static Optional<String> refusal(Connection c, NewDeployment r) throws SQLException {
        if (r.origin().initialStatus() != DeploymentStatus.PENDING) {
            return Optional.empty(); // awaiting approval: not in the queue
        }
        if (count(c, r, false).supersedes()) { // a push of a waiting branch: no lock, no count
            return Optional.empty();
        }
        String team;
        int quota;
        try (PreparedStatement s = c.prepareStatement(LOCK)) {
            s.setLong(1, r.appId());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty(); // the app is gone: the insert says so
                }
                team = rs.getString(1);
                quota = rs.getInt(2);
            }
        }
        Waiting waiting = count(c, r, true); // after the lock: sees every request that held it before
        if (waiting.pending() < quota || waiting.supersedes()) {
            return Optional.empty();
        }
        return Optional.of("team " + team + " already has its quota of deployments waiting to build (" + quota + ")");
    }

    /** The team's pending deployments (0 unless counted), and whether the request would supersede one of them. */
    private record Waiting(long pending, boolean supersedes) {
    }

    private static Waiting count(Connection c, NewDeployment r, boolean countPending) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(COUNT)) {
            s.setBoolean(1, countPending);
            s.setLong(2, r.appId());
            s.setLong(3, r.appId());
            if (r.pullRequestNumber() == null) {
                s.setNull(4, Types.INTEGER);
                s.setNull(6, Types.INTEGER);
            } else {
                s.setInt(4, r.pullRequestNumber());
                s.setInt(6, r.pullRequestNumber());
            }
            s.setString(5, r.branch());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new Waiting(rs.getLong(1), rs.getBoolean(2));
            }
        }
    }

    /**
     * A request GitHub sent past the quota: its row is kept, cancelled with the reason, so the
     * commit's Check Run and the dashboard say why it was not built (and offer Re-run / Retry).
     * The delivery itself still succeeds: GitHub would not send it again usefully.
     */
    static void refuse(Connection c, long deploymentId, String reason) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(REFUSE)) {
            s.setString(1, StoredText.clean("not queued: " + reason + "; retry once some have started"));
            s.setLong(2, deploymentId);
            s.executeUpdate();
        }
    }

    /** The refusal of a request someone is waiting on. */
    static Exceeded exceeded(String reason) {
        return new Exceeded(reason + ": wait for some to start, or cancel some, and try again");
    }
}
