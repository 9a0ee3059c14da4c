package com.vangoframework.rhone.apps;

import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** {@code app_registry_credentials}: one user and encrypted password per app, or none. */
public interface RegistryCredentialsDao {

    record Stored(String username, byte[] passwordEncrypted) {
    }

    @SqlUpdate("""
            INSERT INTO app_registry_credentials (app_id, username, password_encrypted)
            VALUES (:appId, :username, :password)
            ON CONFLICT (app_id) DO UPDATE SET username = EXCLUDED.username,
                password_encrypted = EXCLUDED.password_encrypted, updated_at = now()""")
    void upsert(@Bind("appId") long appId, @Bind("username") String username, @Bind("password") byte[] passwordEncrypted);

    @SqlUpdate("DELETE FROM app_registry_credentials WHERE app_id = :appId")
    int delete(@Bind("appId") long appId);

    @SqlQuery("SELECT username, password_encrypted FROM app_registry_credentials WHERE app_id = :appId")
    @RegisterConstructorMapper(Stored.class)
    Optional<Stored> find(@Bind("appId") long appId);
}
