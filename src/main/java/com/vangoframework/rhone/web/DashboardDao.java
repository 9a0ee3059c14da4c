package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.LogChunkDao;
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

    /** The chunks holding lines {@code from .. to - 1}, in order. */
    @SqlQuery("""
            SELECT first_line, line_count, content FROM deployment_log_chunks
             WHERE deployment_id = :id AND first_line < :to AND first_line + line_count > :from
             ORDER BY first_line""")
    @RegisterConstructorMapper(LogChunkDao.Stored.class)
    List<LogChunkDao.Stored> chunksBetween(@Bind("id") long deploymentId, @Bind("from") long from,
                                           @Bind("to") long to);
}
