package com.vangoframework.rhone.github;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Check Run bookkeeping and installations; a delivery's own statements are {@link DeliveryStatements}. */
public interface GitHubDao {

    /** Remembers the run, once: a second creation for the same deployment would leave a stray run. */
    @SqlUpdate("UPDATE deployments SET check_run_id = :run WHERE id = :id AND check_run_id IS NULL")
    int checkRunCreated(@Bind("id") long deploymentId, @Bind("run") long checkRunId);

    /** An approved fork's build gets a new run in place of its completed {@code action_required} one, once. */
    @SqlUpdate("UPDATE deployments SET check_run_id = :run WHERE id = :id AND check_run_id = :old")
    int checkRunReplaced(@Bind("id") long deploymentId, @Bind("old") long oldCheckRunId, @Bind("run") long checkRunId);

    @SqlQuery("SELECT check_run_status FROM deployments WHERE id = :id")
    Optional<String> reportedStatus(@Bind("id") long deploymentId);

    @SqlUpdate("UPDATE deployments SET check_run_status = :status WHERE id = :id")
    void checkRunReported(@Bind("id") long deploymentId, @Bind("status") String status);

    /** Runs behind their deployment (GitHub was down, or this node restarted): newest first, recent only. */
    @SqlQuery("""
            SELECT d.id FROM deployments d JOIN apps a ON a.id = d.app_id
             WHERE a.github_repo IS NOT NULL AND d.commit_sha IS NOT NULL
               AND d.check_run_status IS DISTINCT FROM d.status
               AND d.updated_at > now() - interval '1 day'
             ORDER BY d.id DESC LIMIT 200""")
    List<Long> checkRunsBehind();

    @SqlUpdate("""
            INSERT INTO github_installations (id, account_login) VALUES (:id, :login)
            ON CONFLICT (id) DO UPDATE SET account_login = EXCLUDED.account_login, deleted_at = NULL,
                   updated_at = now()""")
    void installationCreated(@Bind("id") long id, @Bind("login") String accountLogin);

    @SqlUpdate("""
            INSERT INTO github_installations (id, account_login, deleted_at) VALUES (:id, :login, now())
            ON CONFLICT (id) DO UPDATE SET deleted_at = now(), updated_at = now()""")
    void installationDeleted(@Bind("id") long id, @Bind("login") String accountLogin);

    @SqlUpdate("""
            INSERT INTO github_installations (id, account_login, suspended_at) VALUES (:id, :login, now())
            ON CONFLICT (id) DO UPDATE SET suspended_at = now(), updated_at = now()""")
    void installationSuspended(@Bind("id") long id, @Bind("login") String accountLogin);

    @SqlUpdate("""
            INSERT INTO github_installations (id, account_login) VALUES (:id, :login)
            ON CONFLICT (id) DO UPDATE SET suspended_at = NULL, updated_at = now()""")
    void installationUnsuspended(@Bind("id") long id, @Bind("login") String accountLogin);

    @SqlUpdate("""
            INSERT INTO github_installation_repositories (installation_id, full_name) VALUES (:id, :repo)
            ON CONFLICT DO NOTHING""")
    void repositoryAdded(@Bind("id") long installationId, @Bind("repo") String fullName);

    @SqlUpdate("DELETE FROM github_installation_repositories WHERE installation_id = :id AND full_name = :repo")
    void repositoryRemoved(@Bind("id") long installationId, @Bind("repo") String fullName);
}
