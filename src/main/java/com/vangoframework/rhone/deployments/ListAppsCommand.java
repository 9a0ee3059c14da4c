package com.vangoframework.rhone.deployments;

import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code list-apps [--team S] config.yml}: apps with their branch, newest deployment and source. */
public final class ListAppsCommand extends RhoneCommand {

    public ListAppsCommand() {
        super("list-apps", "List apps (all, or one team's)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").help("only this team's apps");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        if (args.getString("team") != null) {
            require(Names.checkSlug("--team", args.getString("team")));
        }
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String teamSlug = args.getString("team");
        Long teamId = null;
        if (teamSlug != null) {
            Team team = AppsCli.team(context.jdbi().onDemand(TeamDao.class), teamSlug);
            teamId = team.id();
        }
        Table table = new Table("APP", "TEAM", "BRANCH", "LATEST", "STATUS", "SOURCE");
        for (AppOverviewDao.AppLine a : context.jdbi().onDemand(AppOverviewDao.class).list(teamId)) {
            table.row(a.slug(), a.teamSlug(), a.branch(), a.latestId(),
                    a.latestStatus() == null ? null : a.latestStatus().dbValue(), a.describeSource());
        }
        return table.lines();
    }
}
