package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.ArrayList;
import java.util.List;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code delete-app --app A --yes config.yml}: deletes the app with its deployments (pending ones
 * too), their build logs and its env vars, in one transaction. It refuses while a build of the
 * app runs. Images already pushed stay in the registry: rhone never deletes from it.
 */
public final class DeleteAppCommand extends RhoneCommand {

    public DeleteAppCommand() {
        super("delete-app", "Delete an app with its deployments, build logs and env vars (needs --yes)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--app").required(true).help("app slug");
        subparser.addArgument("--yes").action(Arguments.storeTrue()).help("really delete");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        boolean yes = Boolean.TRUE.equals(args.getBoolean("yes"));
        return context.jdbi().inTransaction(h -> {
            AppOverviewDao overview = h.attach(AppOverviewDao.class);
            App app = overview.lockApp(slug).orElseThrow(() -> new UsageError("--app: no app named '" + slug + "'"));
            for (AppOverviewDao.RowStatus row : overview.lockDeployments(app.id())) {
                if (row.status().isActive()) {
                    throw new UsageError("app " + slug + " has a build running (deployment " + row.id() + ", "
                            + row.status().dbValue() + "): cancel it first (Cancel on the dashboard, or POST /api/apps/"
                            + slug + "/deployments/" + row.id() + "/cancel) and run delete-app again");
                }
            }
            String team = h.attach(TeamDao.class).findById(app.teamId()).orElseThrow().slug();
            AppOverviewDao.Contents contents = overview.contents(app.id());
            if (!yes) {
                throw new UsageError("--yes is required to delete app " + slug + " of team " + team + ": that deletes "
                        + what(contents) + " (images already pushed to the registry are not deleted)");
            }
            overview.delete(app.id());
            List<String> out = new ArrayList<>();
            out.add("deleted app " + slug + " of team " + team + ": " + what(contents));
            if (contents.queuedCheckRuns() > 0) {
                out.add(contents.queuedCheckRuns() + " of the pending deployments had a GitHub Check Run;"
                        + " GitHub keeps showing those as queued");
            }
            out.add(registryNote(slug, contents));
            return out;
        });
    }

    private static String what(AppOverviewDao.Contents c) {
        return plural(c.deployments(), "deployment") + (c.pending() > 0 ? " (" + c.pending() + " pending)" : "")
                + ", their build logs (" + plural(c.logLines(), "line") + ") and " + plural(c.envVars(), "env var");
    }

    private static String registryNote(String slug, AppOverviewDao.Contents c) {
        if (c.images() == 0) {
            return "not deleted: anything already in the registry under the name " + slug
                    + " (e.g. its build cache); a new app named " + slug + " would push to the same repository";
        }
        String repository = c.lastImage().substring(0, c.lastImage().lastIndexOf(':'));
        return "not deleted: its " + plural(c.images(), "image") + " in the registry (" + repository
                + ", and its build cache " + repository + ":buildcache); remove them with the registry's own tools,"
                + " before a new app named " + slug + " pushes to the same repository";
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
