package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * What every delivery's transaction runs. JDBI prepares every method of a SQL object each time
 * it is attached to a handle, and a delivery attaches its statements once per request: keeping
 * them apart from {@link GitHubDao} keeps that cheap.
 */
public interface DeliveryStatements {

    record Delivery(String deliveryId, String event, String action, Long installationId, String repository,
                    String outcome, long[] deploymentIds) {
    }

    /** True when the delivery is new; false for a redelivery of one already recorded. */
    @SqlUpdate("""
            INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, repository, outcome,
                                            deployment_ids)
            VALUES (:deliveryId, :event, :action, :installationId, :repository, :outcome, :deploymentIds)
            ON CONFLICT (delivery_id) DO NOTHING""")
    boolean record(@BindMethods Delivery delivery);

    /** An installation may build unless GitHub told us it is suspended or deleted. */
    @SqlQuery("""
            SELECT coalesce((SELECT suspended_at IS NULL AND deleted_at IS NULL FROM github_installations WHERE id = :id),
                            true)""")
    boolean installationActive(@Bind("id") long installationId);

    /** The apps built from this repository through this installation, none while it is suspended or deleted. */
    @SqlQuery("""
            SELECT * FROM apps
             WHERE lower(github_repo) = lower(:repo) AND installation_id = :installation
               AND NOT EXISTS (SELECT 1 FROM github_installations i WHERE i.id = :installation
                                  AND (i.suspended_at IS NOT NULL OR i.deleted_at IS NOT NULL))
             ORDER BY id""")
    @RegisterConstructorMapper(App.class)
    List<App> appsOf(@Bind("repo") String repository, @Bind("installation") long installationId);
}
