package com.vangoframework.rhone.deployments;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Whether a push is news to its branch, judged by the branch's history as rhone recorded it: the
 * {@code before -> after} pairs of its earlier pushes. A signed delivery can be captured and sent
 * again under a new delivery id, and GitHub's redeliveries of a push that failed arrive after the
 * pushes that followed it; either would otherwise become the branch's newest build.
 *
 * <p>A push {@code before -> after} is refused when the branch's recorded pushes show it was at
 * {@code after} already (a push to it, or a push away from it) and the push does not continue from
 * there: the same pair recorded before is a replay; otherwise the push is news only if the branch
 * went on from the last time it was at {@code after} to {@code before} through recorded pushes (a
 * force-push back to an earlier commit, within {@value #MAX_STEPS} pushes). A commit the
 * branch was never at is always news: when the chain says nothing, arrival order counts.
 *
 * <p>Plain JDBC, one statement, on the delivery's connection (see {@link DeploymentInsert}). Two
 * deliveries in flight at once do not see each other; the follow-up's supersede
 * ({@link RequestStatements#supersedeOlderPending}) orders what they leave pending.
 */
public final class PushOrder {

    /** What the recorded history says about a push. */
    public enum Verdict {
        /** Not seen before, or a push that continues from where the branch was: build it. */
        NEW,
        /** The branch's pushes already reached this commit (a replay, or a re-sent push). */
        ALREADY_REQUESTED,
        /** A later push already moved the branch on from this commit (a late or replayed push). */
        MOVED_PAST
    }

    /**
     * How many recorded pushes the walk follows, counting the branch's last push to or away from
     * {@code after}: it bounds the statement's work whatever a replayed push names.
     */
    static final int MAX_STEPS = 100;

    private static final String BRANCH = "d.app_id = ? AND d.branch = ? AND d.trigger = 'push'";
    private static final String PULL_REQUEST = "d.app_id = ? AND d.pull_request_number = ? "
            + "AND d.trigger = 'pull_request'";

    // visits: the branch's pushes to or away from `after`, found through the two indexes (V9);
    // materialised so it stays so whatever the estimates: "ORDER BY id DESC LIMIT 1" over the table
    // may be planned as a walk of the app's rows newest first, which for a new commit reads them all. witness: the last visit; reached: the commits the branch
    // went to from there, push by push in the order they arrived (ids only grow, so the walk ends).
    private static final String SQL = """
            /* PushOrder.%s */
            WITH RECURSIVE visits AS MATERIALIZED (
                SELECT d.id, d.commit_sha FROM deployments d
                 WHERE %2$s AND (d.commit_sha = ? OR d.before_sha = ?)),
            witness AS (SELECT id, commit_sha FROM visits ORDER BY id DESC LIMIT 1),
            reached (sha, id, steps) AS (
                SELECT commit_sha, id, 0 FROM witness
                UNION
                SELECT d.commit_sha, d.id, r.steps + 1
                  FROM reached r JOIN deployments d ON d.before_sha = r.sha AND d.id > r.id
                 WHERE %2$s AND r.steps < %3$d)
            SELECT EXISTS (SELECT 1 FROM deployments d WHERE %2$s AND d.commit_sha = ? AND d.before_sha = ?),
                   EXISTS (SELECT 1 FROM deployments d WHERE %2$s AND d.commit_sha = ?),
                   EXISTS (SELECT 1 FROM reached WHERE sha = ?)
              FROM witness""";
    private static final String OF_BRANCH = SQL.formatted("ofBranch", BRANCH, MAX_STEPS - 1);
    private static final String OF_PULL_REQUEST = SQL.formatted("ofPullRequest", PULL_REQUEST, MAX_STEPS - 1);

    private PushOrder() {
    }

    /** A push of {@code branch} from {@code before} (null: it created the branch) to {@code after}. */
    public static Verdict ofBranchPush(Connection c, long appId, String branch, String before, String after)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(OF_BRANCH)) {
            return verdict(s, appId, (i) -> s.setString(i, branch), before, after);
        }
    }

    /**
     * An update of pull request {@code number}'s head from {@code before} (null: the pull request
     * was just opened) to {@code after}: the same rule over the pull request's own builds.
     */
    public static Verdict ofPullRequest(Connection c, long appId, int number, String before, String after)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(OF_PULL_REQUEST)) {
            return verdict(s, appId, (i) -> s.setInt(i, number), before, after);
        }
    }

    @FunctionalInterface
    private interface Binder {
        void bind(int index) throws SQLException;
    }

    private static Verdict verdict(PreparedStatement s, long appId, Binder group, String before, String after)
            throws SQLException {
        int i = 1;
        // witness
        i = bindGroup(s, i, appId, group);
        s.setString(i++, after);
        s.setString(i++, after);
        // reached
        i = bindGroup(s, i, appId, group);
        // the same pair; the same after; the walk
        i = bindGroup(s, i, appId, group);
        s.setString(i++, after);
        s.setString(i++, before);
        i = bindGroup(s, i, appId, group);
        s.setString(i++, after);
        s.setString(i, before);
        try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                return Verdict.NEW; // the branch was never at `after`
            }
            boolean samePair = rs.getBoolean(1);
            boolean requested = rs.getBoolean(2);
            boolean continues = rs.getBoolean(3);
            if (samePair) {
                return Verdict.ALREADY_REQUESTED;
            }
            if (continues) {
                return Verdict.NEW;
            }
            return requested ? Verdict.ALREADY_REQUESTED : Verdict.MOVED_PAST;
        }
    }

    private static int bindGroup(PreparedStatement s, int i, long appId, Binder group) throws SQLException {
        s.setLong(i, appId);
        group.bind(i + 1);
        return i + 2;
    }
}
