package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code list-members --team S config.yml}: who sees the team's apps on the dashboard, and the
 * GitHub account id each signs in with ("-": none stored, so only a login link signs them in).
 */
public final class ListMembersCommand extends RhoneCommand {

    public ListMembersCommand() {
        super("list-members", "List the members of a team");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").required(true).help("slug of the team");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--team", args.getString("team")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String teamSlug = args.getString("team");
        Team team = AppsCli.team(context.jdbi().onDemand(TeamDao.class), teamSlug);
        Table table = new Table("LOGIN", "ROLE", "GITHUB", "ADDED", "NAME");
        for (SessionDao.Member m : context.jdbi().onDemand(SessionDao.class).members(team.id())) {
            table.row(m.login(), m.role(), m.githubId(), m.addedAt(), m.name());
        }
        return table.lines();
    }
}
