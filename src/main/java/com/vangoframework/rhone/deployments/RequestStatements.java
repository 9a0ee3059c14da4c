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

    record Superseded(long id, long newer) {
    }

    /**
     * For every app and branch that {@code ids} touch, the newest pending request stays and older
     * pending ones give way to it; a pull request's requests (pending or awaiting approval) give
     * way only to newer ones of the same pull request, and a branch's only to the branch's own, so
     * a pull request (whatever its head branch is called) never cancels a branch build. Looking at
     * the newest row (not just at {@code ids}) keeps this right when requests commit out of id order.
     */
    @SqlQuery("""
            WITH touched AS (SELECT DISTINCT app_id, branch, pull_request_number FROM deployments WHERE id = ANY(:ids)),
                 newest AS ((SELECT DISTINCT ON (d.app_id, d.branch) d.id, d.app_id, d.branch,
                                    CAST(NULL AS integer) AS pr, d.commit_sha
                               FROM deployments d JOIN touched t ON t.app_id = d.app_id AND t.branch = d.branch
                                                                AND t.pull_request_number IS NULL
                              WHERE d.status = 'pending' AND d.pull_request_number IS NULL
                              ORDER BY d.app_id, d.branch, d.id DESC)
                            UNION ALL
                            (SELECT DISTINCT ON (d.app_id, d.pull_request_number) d.id, d.app_id, d.branch,
                                    d.pull_request_number AS pr, d.commit_sha
                               FROM deployments d JOIN touched t ON t.app_id = d.app_id
                                                                AND t.pull_request_number = d.pull_request_number
                              WHERE d.status IN ('pending', 'awaiting_approval')
                              ORDER BY d.app_id, d.pull_request_number, d.id DESC))
            UPDATE deployments o
               SET status = 'cancelled', superseded_by = n.id,
                   error_message = 'superseded by ' || coalesce(left(n.commit_sha, 12), 'deployment ' || n.id),
                   updated_at = now(), build_finished_at = now()
              FROM newest n
             WHERE o.app_id = n.app_id AND o.id < n.id
               AND CASE WHEN n.pr IS NULL
                        THEN o.status = 'pending' AND o.pull_request_number IS NULL AND o.branch = n.branch
                        ELSE o.status IN ('pending', 'awaiting_approval') AND o.pull_request_number = n.pr END
            RETURNING o.id, n.id AS newer""")
    @RegisterConstructorMapper(Superseded.class)
    List<Superseded> supersedeOlderPending(@Bind("ids") long[] ids);

    /**
     * Tells the live pages of every node about new requests ({@code rhone_deployment}, as status
     * changes do). Sent from the follow-up's one transaction, never from the request's own.
     */
    @SqlQuery("SELECT id, pg_notify('rhone_deployment', id::text) FROM unnest(CAST(:ids AS bigint[])) AS id")
    List<Long> announce(@Bind("ids") long[] ids);
}
