package com.vangoframework.rhone.db;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolved database of one process: a configured server, or the embedded PostgreSQL under the
 * data directory. Closing it stops the embedded database if this process started it.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final DatabaseTarget target;
    private final EmbeddedPostgresHost embedded;

    private Database(DatabaseTarget target, EmbeddedPostgresHost embedded) {
        this.target = target;
        this.embedded = embedded;
    }

    public static Database open(DatabaseConfiguration config, Path dataDir, EmbeddedPostgresHost.Role role) {
        if (!config.isEmbedded()) {
            return new Database(DatabaseTarget.fromConfiguredUrl(config.getUrl(), config.getUser(),
                    config.getPassword()), null);
        }
        EmbeddedPostgresHost host = EmbeddedPostgresHost.open(dataDir, role);
        return new Database(host.target(), host);
    }

    public DatabaseTarget target() {
        return target;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** Applies the Flyway migrations shipped in the jar (the files under {@code db/migration}). */
    public MigrateResult migrate() {
        return migrate(target);
    }

    public static MigrateResult migrate(DatabaseTarget target) {
        MigrateResult result = Flyway.configure()
                .dataSource(target.jdbcUrl(), target.user(), target.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("Database schema migrated to version {} ({} migrations applied)",
                    result.targetSchemaVersion, result.migrationsExecuted);
        }
        return result;
    }

    /** A plain Jdbi for commands; the server builds its pooled one through JdbiFactory instead. */
    public Jdbi jdbi() {
        return configure(Jdbi.create(target.jdbcUrl(), target.user(), target.password()));
    }

    public static Jdbi configure(Jdbi jdbi) {
        return jdbi.installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin())
                .installPlugin(new com.vangoframework.rhone.deployments.DeploymentsJdbiPlugin());
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
    }
}
