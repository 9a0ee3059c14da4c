package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code unset-registry-credentials --app A config.yml}: the app's builds go back to the global credentials. */
public final class UnsetRegistryCredentialsCommand extends RhoneCommand {

    public UnsetRegistryCredentialsCommand() {
        super("unset-registry-credentials", "Remove an app's own registry credentials");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("--app").required(true).help("app slug");
        super.configure(subparser);
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        return context.jdbi().inTransaction(handle -> {
            App app = AppsCli.app(handle.attach(AppDao.class), slug);
            if (handle.attach(RegistryCredentialsDao.class).delete(app.id()) == 0) {
                return List.of("app " + app.slug() + " has no registry credentials of its own");
            }
            return List.of("removed the registry credentials of app " + app.slug()
                    + ": its builds use the global ones (RHONE_REGISTRY_USER, FLY_API_TOKEN)");
        });
    }
}
