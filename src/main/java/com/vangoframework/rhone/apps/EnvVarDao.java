package com.vangoframework.rhone.apps;

import java.util.List;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

public interface EnvVarDao {

    record EncryptedVar(String name, byte[] valueEncrypted) {
    }

    @SqlUpdate("""
            INSERT INTO app_env_vars (app_id, name, value_encrypted) VALUES (:appId, :name, :value)
            ON CONFLICT (app_id, name) DO UPDATE SET value_encrypted = EXCLUDED.value_encrypted, updated_at = now()""")
    void upsert(@Bind("appId") long appId, @Bind("name") String name, @Bind("value") byte[] valueEncrypted);

    @SqlUpdate("DELETE FROM app_env_vars WHERE app_id = :appId AND name = :name")
    int delete(@Bind("appId") long appId, @Bind("name") String name);

    @SqlQuery("SELECT name FROM app_env_vars WHERE app_id = :appId ORDER BY name")
    List<String> names(@Bind("appId") long appId);

    @SqlQuery("SELECT name, value_encrypted FROM app_env_vars WHERE app_id = :appId ORDER BY name")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(EncryptedVar.class)
    List<EncryptedVar> list(@Bind("appId") long appId);
}
