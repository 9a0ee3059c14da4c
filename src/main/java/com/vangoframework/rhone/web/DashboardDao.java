package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The dashboard's read queries. */
public interface DashboardDao {

    @SqlQuery("SELECT * FROM apps WHERE team_id = ANY(:teams) ORDER BY slug")
    @RegisterConstructorMapper(App.class)
    List<App> appsOf(@Bind("teams") long[] teamIds);

    /** The newest deployment of each of these apps. */
    @SqlQuery("SELECT DISTINCT ON (app_id) * FROM deployments WHERE app_id = ANY(:apps) ORDER BY app_id, id DESC")
    @RegisterConstructorMapper(Deployment.class)
    List<Deployment> latestOf(@Bind("apps") long[] appIds);

    @SqlQuery("SELECT slug FROM teams WHERE id = :id")
    String teamSlug(@Bind("id") long teamId);
}
