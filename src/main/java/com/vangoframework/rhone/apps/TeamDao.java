package com.vangoframework.rhone.apps;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterConstructorMapper(Team.class)
public interface TeamDao {

    /** A line of {@code list-teams}; tokens counts the ones not revoked, pending the deployments waiting to build. */
    record Summary(String slug, String name, int apps, int members, int tokens, int pending, int pendingQuota,
                   Instant createdAt) {
    }

    @SqlUpdate("INSERT INTO teams (slug, name) VALUES (:slug, :name)")
    @GetGeneratedKeys
    Team insert(@Bind("slug") String slug, @Bind("name") String name);

    @SqlQuery("SELECT pending_quota FROM teams WHERE id = :id")
    int pendingQuota(@Bind("id") long id);

    @SqlUpdate("UPDATE teams SET pending_quota = :quota WHERE id = :id")
    void setPendingQuota(@Bind("id") long id, @Bind("quota") int quota);

    @SqlQuery("SELECT * FROM teams WHERE slug = :slug")
    Optional<Team> findBySlug(@Bind("slug") String slug);

    @SqlQuery("SELECT * FROM teams WHERE id = :id")
    Optional<Team> findById(@Bind("id") long id);

    @SqlQuery("""
            SELECT t.slug, t.name,
                   (SELECT count(*) FROM apps a WHERE a.team_id = t.id) AS apps,
                   (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) AS members,
                   (SELECT count(*) FROM api_tokens k WHERE k.team_id = t.id AND k.revoked_at IS NULL) AS tokens,
                   (SELECT count(*) FROM deployments d JOIN apps a ON a.id = d.app_id
                     WHERE a.team_id = t.id AND d.status = 'pending') AS pending,
                   t.pending_quota, t.created_at
              FROM teams t ORDER BY t.slug""")
    @RegisterConstructorMapper(Summary.class)
    List<Summary> summaries();
}
