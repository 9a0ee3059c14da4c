package com.vangoframework.rhone.deployments;

import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * What {@link RequestFollowUp} does after a request's commit. (The request itself is one plain
 * JDBC statement, {@link DeploymentInsert}.)
 */
public interface RequestStatements {

    /** {@code newer}: the request that stays (newer in commit order; not always by id). */
    record Superseded(long id, long newer) {
    }

    /**
     * Taken before {@link #supersedeOlderPending}, in the same transaction: the nodes' follow-ups
     * take turns, so each one's supersede (a statement of its own) sees what the last one left
     * pending and two never keep different requests of one branch.
     */
    @SqlQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(:key)) l")
    int takeTurn(@Bind("key") long key);

    long SUPERSEDE_LOCK = 0x72686f6e65_0002L;

    /**
     * For every app and branch that {@code ids} touch, one pending request stays and the others give
     * way to it; a pull request's requests (pending or awaiting approval) give way only to one of the
     * same pull request, and a branch's only to the branch's own, so a pull request (whatever its
     * head branch is called) never cancels a branch build. Looking at every pending row (not just at
     * {@code ids}) keeps this right when requests commit out of id order.
     *
     * <p>The one that stays is the newest in commit order: a push (or pull-request update) is
     * <em>behind</em> another pending one that moved on from its commit ({@code before_sha} = its
     * {@code commit_sha}), unless it is itself the move back from that one (a force-push undoing
     * it). The newest request (by id) that is behind none stays; where every one is behind another
     * (pushes back and forth), the newest. Requests that are not pushes (a person's deploy, a retry,
     * a re-run) are never behind: they are ordered by when they were made. {@link PushOrder} refuses
     * most late pushes before they are created; this orders the ones two deliveries in flight at
     * once let through.
     */
    @SqlQuery("""
            WITH touched AS (SELECT DISTINCT app_id, branch, pull_request_number FROM deployments WHERE id = ANY(:ids)),
                 head AS ((SELECT DISTINCT ON (d.app_id, d.branch) d.id, d.app_id, d.branch,
                                  CAST(NULL AS integer) AS pr, d.commit_sha
                             FROM deployments d JOIN touched t ON t.app_id = d.app_id AND t.branch = d.branch
                                                              AND t.pull_request_number IS NULL
                            WHERE d.status = 'pending' AND d.pull_request_number IS NULL
                            ORDER BY d.app_id, d.branch,
                                     d.trigger = 'push' AND EXISTS (
                                         SELECT 1 FROM deployments q
                                          WHERE q.app_id = d.app_id AND q.branch = d.branch
                                            AND q.status = 'pending' AND q.pull_request_number IS NULL
                                            AND q.trigger = 'push' AND q.id <> d.id AND q.before_sha = d.commit_sha
                                            AND q.commit_sha IS DISTINCT FROM d.before_sha),
                                     d.id DESC)
                          UNION ALL
                          (SELECT DISTINCT ON (d.app_id, d.pull_request_number) d.id, d.app_id, d.branch,
                                  d.pull_request_number AS pr, d.commit_sha
                             FROM deployments d JOIN touched t ON t.app_id = d.app_id
                                                              AND t.pull_request_number = d.pull_request_number
                            WHERE d.status IN ('pending', 'awaiting_approval')
                            ORDER BY d.app_id, d.pull_request_number,
                                     d.trigger = 'pull_request' AND EXISTS (
                                         SELECT 1 FROM deployments q
                                          WHERE q.app_id = d.app_id AND q.pull_request_number = d.pull_request_number
                                            AND q.status IN ('pending', 'awaiting_approval')
                                            AND q.trigger = 'pull_request' AND q.id <> d.id
                                            AND q.before_sha = d.commit_sha
                                            AND q.commit_sha IS DISTINCT FROM d.before_sha),
                                     d.id DESC)),
                 -- Two joins, each on an index of waiting rows (a CASE here made every follow-up
                 -- read all of the app's deployments: 134 ms at 200,000 of them).
                 giving_way AS (SELECT o.id, n.id AS newer, n.commit_sha
                                  FROM head n JOIN deployments o
                                    ON o.app_id = n.app_id AND o.branch = n.branch AND o.status = 'pending'
                                   AND o.pull_request_number IS NULL AND o.id <> n.id
                                 WHERE n.pr IS NULL
                                UNION ALL
                                SELECT o.id, n.id, n.commit_sha
                                  FROM head n JOIN deployments o
                                    ON o.app_id = n.app_id AND o.pull_request_number = n.pr
                                   AND o.status IN ('pending', 'awaiting_approval') AND o.id <> n.id
                                 WHERE n.pr IS NOT NULL)
            UPDATE deployments o
               SET status = 'cancelled', superseded_by = g.newer,
                   error_message = 'superseded by ' || coalesce(left(g.commit_sha, 12), 'deployment ' || g.newer),
                   updated_at = now(), build_finished_at = now()
              FROM giving_way g
             WHERE o.id = g.id
            RETURNING o.id, g.newer""")
    @RegisterConstructorMapper(Superseded.class)
    List<Superseded> supersedeOlderPending(@Bind("ids") long[] ids);

    /**
     * Tells the live pages of every node about new requests ({@code rhone_deployment}, as status
     * changes do). Sent from the follow-up's one transaction, never from the request's own.
     */
    @SqlQuery("SELECT id, pg_notify('rhone_deployment', id::text) FROM unnest(CAST(:ids AS bigint[])) AS id")
    List<Long> announce(@Bind("ids") long[] ids);
}
