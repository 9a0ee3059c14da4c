package com.vangoframework.rhone.cli;

import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.EmbeddedPostgresHost;
import java.nio.file.Path;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.flywaydb.core.api.output.MigrateResult;

/** {@code db migrate config.yml}: applies the Flyway migrations and says where the schema now is. */
public final class DbCommand extends ServiceCommand {

    public DbCommand() {
        super("db", "Database maintenance: db migrate");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("action").choices("migrate").help("migrate: apply pending schema migrations");
        super.configure(subparser);
    }

    @Override
    protected void run(Namespace namespace, CommandConfiguration config) {
        MigrateResult result;
        try (Database db = Database.open(config.getDatabase(), Path.of(config.getDataDir()),
                EmbeddedPostgresHost.Role.COMMAND)) {
            result = db.migrate();
        }
        RhoneCommand.printAfterLogs(List.of(result.migrationsExecuted == 0 ? "schema is up to date"
                : "schema migrated to version " + result.targetSchemaVersion + " (" + result.migrationsExecuted
                        + " migrations applied)"));
    }
}
