package com.vangoframework.rhone.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.EmbeddedPostgresHost;
import io.dropwizard.core.cli.Cli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.LoggerFactory;

/**
 * Base of the admin CLI commands. It opens the database (joining the running service's embedded
 * PostgreSQL when there is one), runs the command, and prints its output only after the database
 * is closed and the log queue written, so the last line of stdout is the command's own (e.g. a
 * token). A {@link UsageError} becomes one line on stderr and a non-zero exit status.
 */
public abstract class RhoneCommand extends ServiceCommand {

    protected RhoneCommand(String name, String description) {
        super(name, description);
    }

    /** What a command needs: the database, and the configuration (for env vars, the key). */
    public record Context(Jdbi jdbi, CommandConfiguration config, boolean embedded) {
    }

    /** Validates everything first, writes in one transaction, and returns the lines to print. */
    protected abstract List<String> execute(Namespace args, Context context) throws UsageError;

    /** Checks arguments before the database is even opened; throw {@link UsageError}. */
    protected void validate(Namespace args) throws UsageError {
    }

    @Override
    protected void run(Namespace namespace, CommandConfiguration config) throws Exception {
        // Commands talk to people: keep the embedded database's INFO chatter out of their output.
        for (String name : new String[] {org.slf4j.Logger.ROOT_LOGGER_NAME, "com.vangoframework.rhone"}) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(Level.WARN);
        }
        validate(namespace);
        List<String> output = new ArrayList<>();
        try (Database db = Database.open(config.getDatabase(), Path.of(config.getDataDir()),
                EmbeddedPostgresHost.Role.COMMAND)) {
            if (config.getDatabase().isMigrateOnStart()) {
                db.migrate();
            }
            output.addAll(execute(namespace, new Context(db.jdbi(config.jdbiSetup()), config, db.isEmbedded())));
        }
        printAfterLogs(output);
    }

    /**
     * Prints a command's result once every log line queued before it has been written: the
     * console appender is asynchronous, so a line logged while the database closed could
     * otherwise land after the result and hide it from a script reading the last line. Stopping
     * the logging context joins the appender's worker (the factory's own stop only waits for an
     * empty queue, not for the line the worker is still writing); the command ends right after.
     */
    public static void printAfterLogs(List<String> lines) {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
        lines.forEach(System.out::println);
        System.out.flush();
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (e instanceof UsageError) {
            cli.getStdErr().println("error: " + e.getMessage());
        } else {
            super.onError(cli, namespace, e);
        }
    }

    /** A bad argument or a missing record: one sentence naming the field, nothing written. */
    public static final class UsageError extends Exception {
        public UsageError(String message) {
            super(message);
        }
    }

    /**
     * argparse gives a greedy {@code nargs("+")} positional every word, including the config file
     * that Dropwizard expects last. A last word with no '=' that looks like a path (env names
     * cannot contain '.' or '/') is the config file, as the usage line promises.
     */
    protected static void takeConfigFile(Namespace namespace) {
        List<Object> words = namespace.getList("vars");
        if (namespace.get("file") != null || words == null || words.size() < 2) {
            return;
        }
        String last = String.valueOf(words.get(words.size() - 1));
        if (!last.contains("=") && (last.contains(".") || last.contains("/"))) {
            List<Object> rest = new ArrayList<>(words.subList(0, words.size() - 1));
            namespace.getAttrs().put("vars", rest);
            namespace.getAttrs().put("file", last);
        }
    }

    protected static void require(java.util.Optional<String> problem) throws UsageError {
        if (problem.isPresent()) {
            throw new UsageError(problem.get());
        }
    }
}
