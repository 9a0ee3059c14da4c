package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** An app together with its deployments, as the admin commands show and delete it. */
public interface AppOverviewDao {

    /** A line of {@code list-apps}: the app and its newest deployment, if any. */
    record AppLine(String slug, String teamSlug, String branch, String githubRepo, Long installationId, String gitUrl,
                   Long latestId, DeploymentStatus latestStatus) {

        public String describeSource() {
            return App.describeSource(githubRepo, installationId, gitUrl);
        }
    }

    record StatusCount(DeploymentStatus status, int count) {
    }

    /** What an app holds besides its own row; deleting the app deletes all of it (ON DELETE CASCADE). */
    record Contents(int deployments, int pending, long logLines, int envVars, int images, int queuedCheckRuns,
                    String lastImage) {
    }

    record RowStatus(long id, DeploymentStatus status) {
    }

    @SqlQuery("""
            SELECT a.slug, t.slug AS team_slug, a.branch, a.github_repo, a.installation_id, a.git_url,
                   d.id AS latest_id, d.status AS latest_status
              FROM apps a JOIN teams t ON t.id = a.team_id
              LEFT JOIN LATERAL (SELECT id, status FROM deployments WHERE app_id = a.id ORDER BY id DESC LIMIT 1) d ON true
             WHERE CAST(:teamId AS bigint) IS NULL OR a.team_id = :teamId
             ORDER BY a.slug""")
    @RegisterConstructorMapper(AppLine.class)
    List<AppLine> list(@Bind("teamId") Long teamId);

    @SqlQuery("""
            SELECT status, count(*) AS count FROM deployments WHERE app_id = :appId
             GROUP BY status ORDER BY count(*) DESC, status""")
    @RegisterConstructorMapper(StatusCount.class)
    List<StatusCount> countByStatus(@Bind("appId") long appId);

    @SqlQuery("SELECT * FROM deployments WHERE app_id = :appId AND status = :status ORDER BY id DESC LIMIT 1")
    @RegisterConstructorMapper(Deployment.class)
    Optional<Deployment> latestWith(@Bind("appId") long appId, @Bind("status") DeploymentStatus status);

    @SqlQuery("""
            SELECT (SELECT count(*) FROM deployments WHERE app_id = :appId) AS deployments,
                   (SELECT count(*) FROM deployments WHERE app_id = :appId AND status = 'pending') AS pending,
                   (SELECT coalesce(sum(c.line_count), 0) FROM deployment_log_chunks c
                      JOIN deployments d ON d.id = c.deployment_id WHERE d.app_id = :appId) AS log_lines,
                   (SELECT count(*) FROM app_env_vars WHERE app_id = :appId) AS env_vars,
                   (SELECT count(DISTINCT image_tag) FROM deployments
                     WHERE app_id = :appId AND image_digest IS NOT NULL) AS images,
                   (SELECT count(*) FROM deployments
                     WHERE app_id = :appId AND status = 'pending' AND check_run_id IS NOT NULL) AS queued_check_runs,
                   (SELECT image_tag FROM deployments WHERE app_id = :appId AND image_digest IS NOT NULL
                     ORDER BY id DESC LIMIT 1) AS last_image""")
    @RegisterConstructorMapper(Contents.class)
    Contents contents(@Bind("appId") long appId);

    /**
     * Locks the app and then every one of its deployments, for delete-app: a new request for the
     * app waits on the app row (its foreign key check), and a worker skips the locked pending rows
     * (SKIP LOCKED), so no build can start between the check for a running one and the delete.
     */
    @SqlQuery("SELECT * FROM apps WHERE slug = :slug FOR UPDATE")
    @RegisterConstructorMapper(App.class)
    Optional<App> lockApp(@Bind("slug") String slug);

    @SqlQuery("SELECT id, status FROM deployments WHERE app_id = :appId ORDER BY id FOR UPDATE")
    @RegisterConstructorMapper(RowStatus.class)
    List<RowStatus> lockDeployments(@Bind("appId") long appId);

    /** Deployments, their log chunks and the env vars go with it (ON DELETE CASCADE). */
    @SqlUpdate("DELETE FROM apps WHERE id = :appId")
    int delete(@Bind("appId") long appId);
}
