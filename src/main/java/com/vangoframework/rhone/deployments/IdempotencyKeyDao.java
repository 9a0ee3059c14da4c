package com.vangoframework.rhone.deployments;

import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The {@code idempotency_keys} table (migration V12). Times are the database's: every node agrees. */
public interface IdempotencyKeyDao {

    /** What a live key recorded. */
    record Recorded(long deploymentId, byte[] requestSha256) {
    }

    @SqlQuery("""
            SELECT deployment_id, request_sha256 FROM idempotency_keys
             WHERE team_id = :teamId AND app_id = :appId AND idempotency_key = :value
               AND created_at > now() - make_interval(secs => :lifetimeSeconds)""")
    @RegisterConstructorMapper(Recorded.class)
    Optional<Recorded> find(@BindMethods IdempotencyKey key, @Bind("lifetimeSeconds") long lifetimeSeconds);

    /**
     * Records the key for {@code deploymentId}; false when a live row holds it (a request with this
     * key committed first). A concurrent first request's uncommitted row makes this wait for its
     * transaction: the unique index lets only one of them through. A row past its lifetime that the
     * purge has not reached yet is taken over.
     */
    @SqlUpdate("""
            INSERT INTO idempotency_keys (team_id, app_id, idempotency_key, request_sha256, deployment_id)
            VALUES (:key.teamId, :key.appId, :key.value, :key.requestSha256, :deploymentId)
            ON CONFLICT (team_id, app_id, idempotency_key) DO UPDATE
               SET request_sha256 = excluded.request_sha256, deployment_id = excluded.deployment_id,
                   created_at = now()
             WHERE idempotency_keys.created_at <= now() - make_interval(secs => :lifetimeSeconds)""")
    boolean claim(@BindMethods("key") IdempotencyKey key, @Bind("deploymentId") long deploymentId,
                  @Bind("lifetimeSeconds") long lifetimeSeconds);

    @SqlUpdate("DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(secs => :lifetimeSeconds)")
    int purgeExpired(@Bind("lifetimeSeconds") long lifetimeSeconds);
}
