package com.vangoframework.rhone.apps;

import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.GetGeneratedKeys;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

@RegisterConstructorMapper(Team.class)
public interface TeamDao {

    @SqlUpdate("INSERT INTO teams (slug, name) VALUES (:slug, :name)")
    @GetGeneratedKeys
    Team insert(@Bind("slug") String slug, @Bind("name") String name);

    @SqlQuery("SELECT * FROM teams WHERE slug = :slug")
    Optional<Team> findBySlug(@Bind("slug") String slug);

    @SqlQuery("SELECT * FROM teams WHERE id = :id")
    Optional<Team> findById(@Bind("id") long id);
}
