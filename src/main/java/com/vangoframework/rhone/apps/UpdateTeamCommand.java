package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code update-team --team T --pending-quota Q config.yml}: how many deployments the team may
 * have waiting to build. Lowering it below what waits now cancels nothing; new requests are
 * refused until the queue is under it.
 */
public final class UpdateTeamCommand extends RhoneCommand {

    public UpdateTeamCommand() {
        super("update-team", "Change a team's quota of deployments waiting to build");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").required(true).help("team slug");
        subparser.addArgument("--pending-quota").dest("pending_quota").required(true)
                .help("the most deployments the team may have waiting to build (1-100000; 50 for a new team)");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--team", args.getString("team")));
        CreateTeamCommand.pendingQuota(args.getString("pending_quota"));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        int quota = CreateTeamCommand.pendingQuota(args.getString("pending_quota"));
        return context.jdbi().inTransaction(h -> {
            TeamDao teams = h.attach(TeamDao.class);
            Team team = AppsCli.team(teams, args.getString("team"));
            int before = teams.pendingQuota(team.id());
            if (before == quota) {
                return List.of("team " + team.slug() + " already has a pending quota of " + quota + "; nothing changed");
            }
            teams.setPendingQuota(team.id(), quota);
            return List.of("updated team " + team.slug() + ": pending quota " + before + " -> " + quota);
        });
    }
}
