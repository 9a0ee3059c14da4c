package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The dashboard's read queries. */
public interface DashboardDao {

    @SqlQuery("SELECT * FROM apps WHERE team_id = ANY(:teams) ORDER BY slug")
    @RegisterConstructorMapper(App.class)
    List<App> appsOf(@Bind("teams") long[] teamIds);

    @SqlQuery("SELECT * FROM apps WHERE id = ANY(:ids)")
    @RegisterConstructorMapper(App.class)
    List<App> appsById(@Bind("ids") long[] appIds);

    /** The newest deployment of each of these apps. */
    @SqlQuery("SELECT DISTINCT ON (app_id) * FROM deployments WHERE app_id = ANY(:apps) ORDER BY app_id, id DESC")
    @RegisterConstructorMapper(Deployment.class)
    List<Deployment> latestOf(@Bind("apps") long[] appIds);

    /** The app's newest successful build, the one to run. */
    @SqlQuery("SELECT * FROM deployments WHERE app_id = :app AND status = 'built' ORDER BY id DESC LIMIT 1")
    @RegisterConstructorMapper(Deployment.class)
    Optional<Deployment> latestBuilt(@Bind("app") long appId);

    @SqlQuery("SELECT * FROM deployments WHERE id = ANY(:ids)")
    @RegisterConstructorMapper(Deployment.class)
    List<Deployment> deployments(@Bind("ids") long[] ids);

    /**
     * What changed since a moment, in these teams' apps (or in one app of theirs), oldest change
     * first, at most the 100 latest: a live page that (re)connects catches up with it.
     */
    @SqlQuery("""
            SELECT * FROM (
                SELECT d.* FROM deployments d JOIN apps a ON a.id = d.app_id
                 WHERE a.team_id = ANY(:teams) AND (CAST(:app AS bigint) IS NULL OR a.id = :app)
                   AND d.updated_at > :since
                 ORDER BY d.updated_at DESC LIMIT 100
            ) recent ORDER BY updated_at, id""")
    @RegisterConstructorMapper(Deployment.class)
    List<Deployment> changedSince(@Bind("teams") long[] teamIds, @Bind("app") Long appId,
                                  @Bind("since") Instant since);

    @SqlQuery("SELECT slug FROM teams WHERE id = :id")
    String teamSlug(@Bind("id") long teamId);
}
