package com.vangoframework.rhone.db;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import io.dropwizard.jdbi3.NamePrependingTemplateEngine;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jdbi.v3.core.extension.ExtensionFactory;
import org.jdbi.v3.core.extension.Extensions;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectFactory;
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
        EmbeddedPostgresHost host = EmbeddedPostgresHost.open(dataDir, role, config.getEmbeddedPort());
        return new Database(host.target(), host);
    }

    public DatabaseTarget target() {
        return target;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** The embedded PostgreSQL, if that is the database (whether this process runs it or another). */
    public java.util.Optional<EmbeddedPostgresHost> embeddedHost() {
        return java.util.Optional.ofNullable(embedded);
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
    public Jdbi jdbi(JdbiSetup setup) {
        return configure(Jdbi.create(target.jdbcUrl(), target.user(), target.password()), setup);
    }

    /** Plugins, the plain-SQL engine, and the metadata of the DAOs (the composition root's list). */
    public static Jdbi configure(Jdbi jdbi, JdbiSetup setup) {
        jdbi.installPlugin(new SqlObjectPlugin()).installPlugin(new PostgresPlugin());
        setup.plugins().forEach(jdbi::installPlugin);
        // The SQL is plain SQL: no template engine parses it on every execution (JDBI's default
        // engine re-lexes each statement once Dropwizard wraps it, since the wrapper disables its
        // cache). Each statement still starts with a comment naming its DAO method, which
        // pg_stat_activity shows.
        jdbi.setTemplateEngine(new NamePrependingTemplateEngine(TemplateEngine.NOP));
        // JDBI builds a DAO's metadata (every method's handler) on first use and caches it in the
        // configuration that asked. Each handle works on a copy of the root configuration, so
        // metadata built inside a handle (by attach or an on-demand call) is thrown away with it
        // and built again on the next call: milliseconds of reflection per statement. Built
        // here once, on the root, every handle's copy starts with it.
        Extensions extensions = jdbi.getConfig(Extensions.class);
        ExtensionFactory sqlObjects = extensions.findFactory(SqlObjectFactory.class)
                .orElseThrow(() -> new IllegalStateException("the SQL object plugin is not installed"));
        for (Class<?> dao : setup.daos()) {
            extensions.findMetadata(dao, sqlObjects);
        }
        return jdbi;
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
    }
}
