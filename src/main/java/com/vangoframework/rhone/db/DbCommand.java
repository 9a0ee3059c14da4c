package com.vangoframework.rhone.db;

import com.vangoframework.rhone.CliErrors;
import com.vangoframework.rhone.RhoneConfiguration;
import com.vangoframework.rhone.apps.RhoneCommand;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.nio.file.Path;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.flywaydb.core.api.output.MigrateResult;

/** {@code db migrate config.yml}: applies the Flyway migrations and says where the schema now is. */
public final class DbCommand extends ConfiguredCommand<RhoneConfiguration> {

    public DbCommand() {
        super("db", "Database maintenance: db migrate");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("action").choices("migrate").help("migrate: apply pending schema migrations");
        super.configure(subparser);
    }

    @Override
    public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
        if (!CliErrors.reportConfigurationProblem(cli, e)) {
            CliErrors.reportFailure(cli, e);
        }
    }

    @Override
    protected void run(Bootstrap<RhoneConfiguration> bootstrap, Namespace namespace, RhoneConfiguration config) {
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
