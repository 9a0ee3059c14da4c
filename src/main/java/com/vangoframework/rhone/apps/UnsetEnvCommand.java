package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.ArrayList;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code unset-env --app A NAME... config.yml} */
public final class UnsetEnvCommand extends RhoneCommand {

    public UnsetEnvCommand() {
        super("unset-env", "Remove env vars from an app");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--app").required(true).help("app slug");
        // Before the config file positional that super.configure adds; see takeConfigFile.
        subparser.addArgument("vars").nargs("+").metavar("NAME").help("variables to remove");
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
        for (Object name : args.getList("vars")) {
            require(Names.checkEnvName("variable " + name, String.valueOf(name)));
        }
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        return context.jdbi().inTransaction(handle -> {
            App app = AppsCli.app(handle.attach(AppDao.class), slug);
            EnvVarDao env = handle.attach(EnvVarDao.class);
            List<String> removed = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (Object o : args.getList("vars")) {
                String name = String.valueOf(o);
                (env.delete(app.id(), name) > 0 ? removed : missing).add(name);
            }
            List<String> out = new ArrayList<>();
            if (!removed.isEmpty()) {
                out.add("removed " + String.join(", ", removed) + " from app " + app.slug());
            }
            if (!missing.isEmpty()) {
                out.add("not set on app " + app.slug() + ": " + String.join(", ", missing));
            }
            return out;
        });
    }
}
