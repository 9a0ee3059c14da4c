package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code set-env --app A NAME=VALUE... config.yml}: values are stored AES-256-GCM encrypted. */
public final class SetEnvCommand extends RhoneCommand {

    public SetEnvCommand() {
        super("set-env", "Set an app's build env vars (encrypted at rest)");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--app").required(true).help("app slug");
        // Before the config file positional that super.configure adds; see takeConfigFile.
        subparser.addArgument("vars").nargs("+").metavar("NAME=VALUE").help("variables to set");
        super.configure(subparser);
    }

    @Override
    public void run(io.dropwizard.core.setup.Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
        takeConfigFile(namespace);
        super.run(bootstrap, namespace);
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
        parse(args.getList("vars"));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        Map<String, String> vars = parse(args.getList("vars"));
        SecretBox box = SecretKeys.forCommand(context);
        String slug = args.getString("app");
        return context.jdbi().inTransaction(handle -> {
            App app = AppsCli.app(handle.attach(AppDao.class), slug);
            EnvVarDao env = handle.attach(EnvVarDao.class);
            vars.forEach((name, value) -> env.upsert(app.id(), name, box.encrypt(app.id(), name, value)));
            // Never echo values back: a terminal's scrollback is not a secret store.
            return List.of("set " + String.join(", ", vars.keySet()) + " on app " + app.slug());
        });
    }

    static Map<String, String> parse(List<Object> items) throws UsageError {
        Map<String, String> vars = new LinkedHashMap<>();
        for (Object item : items == null ? new ArrayList<>() : items) {
            String s = String.valueOf(item);
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new UsageError("variables must be NAME=VALUE, got '" + (eq == 0 ? s : s.replaceAll("=.*", "")) + "'");
            }
            String name = s.substring(0, eq);
            require(Names.checkEnvName("variable " + name, name));
            vars.put(name, s.substring(eq + 1));
        }
        return vars;
    }
}
