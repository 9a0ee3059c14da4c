package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.jdbi.v3.core.Handle;

/**
 * {@code show-app --app A config.yml}: one {@code field: value} per line. Env vars appear by name
 * only: their values never leave the database through the CLI.
 */
public final class ShowAppCommand extends RhoneCommand {

    public ShowAppCommand() {
        super("show-app", "Show an app: team, source, branch, timeout, pull-request settings, env var names, "
                + "deployments");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--app").required(true).help("app slug");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        return context.jdbi().inTransaction(h -> {
            App app = AppsCli.app(h.attach(AppDao.class), slug);
            return describe(h, app);
        });
    }

    private static String forkPolicy(App.ForkPolicy policy) {
        return switch (policy) {
            case APPROVE -> "approve (wait for approval)";
            case NEVER -> "never (not built)";
            case ALWAYS -> "always (built without env vars)";
        };
    }

    private static List<String> describe(Handle h, App app) {
        AppOverviewDao overview = h.attach(AppOverviewDao.class);
        List<String> env = h.attach(EnvVarDao.class).names(app.id());
        AppOverviewDao.Contents contents = overview.contents(app.id());
        String counts = overview.countByStatus(app.id()).stream()
                .map(c -> c.status().dbValue() + " " + c.count()).collect(Collectors.joining(", "));
        Optional<Deployment> latest = h.attach(DeploymentDao.class).list(new DeploymentDao.Page(app.id(), null, 1))
                .stream().findFirst();
        Optional<Deployment> built = overview.latestWith(app.id(), DeploymentStatus.BUILT);

        List<String[]> fields = new ArrayList<>();
        fields.add(new String[] {"app", app.slug()});
        fields.add(new String[] {"team", h.attach(TeamDao.class).findById(app.teamId()).orElseThrow().slug()});
        fields.add(new String[] {"source", app.describeSource()});
        fields.add(new String[] {"branch", app.branch()});
        fields.add(new String[] {"build timeout", Table.seconds(app.buildTimeoutSeconds())});
        fields.add(new String[] {"fork PRs", forkPolicy(app.forkPolicy())});
        fields.add(new String[] {"PR env vars", app.pullRequestSecrets() ? "on (same-repository pull requests only)"
                : "off"});
        fields.add(new String[] {"env vars", env.isEmpty() ? Table.NONE : String.join(", ", env)});
        fields.add(new String[] {"deployments", contents.deployments() + (counts.isEmpty() ? "" : " (" + counts + ")")});
        fields.add(new String[] {"latest", latest.map(d -> "#" + d.id() + " " + d.status().dbValue() + " ("
                + d.trigger().dbValue() + " of " + d.branch() + ", " + Table.time(d.createdAt()) + ")")
                .orElse(Table.NONE)});
        fields.add(new String[] {"last built", built.map(d -> "#" + d.id() + " " + d.imageTag() + "@"
                + d.imageDigest()).orElse(Table.NONE)});
        fields.add(new String[] {"stored log", contents.logLines() + " lines"});
        fields.add(new String[] {"created", Table.time(app.createdAt())});

        // Values start two spaces after the longest "field:", so the block reads as two columns.
        int width = fields.stream().mapToInt(f -> f[0].length()).max().orElse(0) + 3;
        List<String> lines = new ArrayList<>();
        for (String[] f : fields) {
            lines.add(String.format("%-" + width + "s%s", f[0] + ":", f[1]));
        }
        return lines;
    }
}
