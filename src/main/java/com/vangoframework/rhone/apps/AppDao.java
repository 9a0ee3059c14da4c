package com.vangoframework.rhone.apps;

import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterConstructorMapper(App.class)
public interface AppDao {

    /**
     * What {@code create-app} and the API validated; the schema checks it again.
     * {@code forkPullRequests} is an {@link App.ForkPolicy#dbValue()}.
     */
    record NewApp(long teamId, String slug, String githubRepo, Long installationId, String gitUrl, String branch,
                  int buildTimeoutSeconds, String forkPullRequests, boolean pullRequestSecrets) {

        /** With the schema's defaults: fork pull requests wait for approval, pull requests get no env vars. */
        public NewApp(long teamId, String slug, String githubRepo, Long installationId, String gitUrl, String branch,
                      int buildTimeoutSeconds) {
            this(teamId, slug, githubRepo, installationId, gitUrl, branch, buildTimeoutSeconds,
                    App.ForkPolicy.APPROVE.dbValue(), false);
        }
    }

    @SqlUpdate("""
            INSERT INTO apps (team_id, slug, github_repo, installation_id, git_url, branch, build_timeout_seconds,
                              fork_pull_requests, pull_request_secrets)
            VALUES (:teamId, :slug, :githubRepo, :installationId, :gitUrl, :branch, :buildTimeoutSeconds,
                    :forkPullRequests, :pullRequestSecrets)""")
    @GetGeneratedKeys
    App insert(@BindMethods NewApp app);

    @SqlQuery("SELECT * FROM apps WHERE slug = :slug")
    Optional<App> findBySlug(@Bind("slug") String slug);

    @SqlQuery("SELECT * FROM apps WHERE id = :id")
    Optional<App> findById(@Bind("id") long id);

    /**
     * {@code update-app}: the source, branch, timeout and pull-request settings as validated; the
     * schema checks the source and the fork policy again.
     */
    @SqlUpdate("""
            UPDATE apps SET github_repo = :githubRepo, installation_id = :installationId, git_url = :gitUrl,
                   branch = :branch, build_timeout_seconds = :buildTimeoutSeconds,
                   fork_pull_requests = :forkPullRequests, pull_request_secrets = :pullRequestSecrets,
                   updated_at = now()
             WHERE id = :id""")
    int update(@BindMethods App app);
}
