package com.vangoframework.rhone.apps;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

public interface ApiTokenDao {

    /** What an operator may see of a token: never the token, never its hash. */
    record TokenInfo(long id, String teamSlug, String name, Instant createdAt, Instant lastUsedAt, Instant revokedAt) {
    }

    String INFO = """
            SELECT a.id, t.slug AS team_slug, a.name, a.created_at, a.last_used_at, a.revoked_at
              FROM api_tokens a JOIN teams t ON t.id = a.team_id""";

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
            SELECT a.id AS token_id, t.id AS team_id, t.slug AS team_slug FROM api_tokens a JOIN teams t ON t.id = a.team_id
            WHERE a.token_sha256 = :sha256 AND a.revoked_at IS NULL""")
    @RegisterConstructorMapper(TeamPrincipal.class)
    Optional<TeamPrincipal> findTeam(@Bind("sha256") byte[] sha256);

    @SqlQuery(INFO + " WHERE a.team_id = :teamId ORDER BY a.id")
    @RegisterConstructorMapper(TokenInfo.class)
    List<TokenInfo> listForTeam(@Bind("teamId") long teamId);

    @SqlQuery(INFO + " WHERE a.id = :id")
    @RegisterConstructorMapper(TokenInfo.class)
    Optional<TokenInfo> find(@Bind("id") long id);

    /** From now on the API refuses the token (findTeam skips revoked rows); revoking twice changes nothing. */
    @SqlUpdate("UPDATE api_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL")
    int revoke(@Bind("id") long id);
}
