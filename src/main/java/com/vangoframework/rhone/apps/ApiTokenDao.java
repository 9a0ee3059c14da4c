package com.vangoframework.rhone.apps;

import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

public interface ApiTokenDao {

    @SqlUpdate("INSERT INTO api_tokens (team_id, token_sha256, name) VALUES (:teamId, :sha256, :name)")
    void insert(@Bind("teamId") long teamId, @Bind("sha256") byte[] sha256, @Bind("name") String name);

    /** Records use at most once a minute per token, so a busy client does not turn reads into writes. */
    @SqlUpdate("""
            UPDATE api_tokens SET last_used_at = now()
            WHERE token_sha256 = :sha256
              AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""")
    void touch(@Bind("sha256") byte[] sha256);

    /** The team a live token acts for, in one query: every API request runs this. */
    @SqlQuery("""
            SELECT t.id AS team_id, t.slug AS team_slug FROM api_tokens a JOIN teams t ON t.id = a.team_id
            WHERE a.token_sha256 = :sha256 AND a.revoked_at IS NULL""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(TeamPrincipal.class)
    Optional<TeamPrincipal> findTeam(@Bind("sha256") byte[] sha256);
}
