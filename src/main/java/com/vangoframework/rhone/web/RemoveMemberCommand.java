package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code remove-member --team S --user LOGIN config.yml}: the person no longer sees the team's
 * apps, from their next request on, in sessions already open too (a session reads its teams on
 * every request). The user stays, with their other teams.
 */
public final class RemoveMemberCommand extends RhoneCommand {

    public RemoveMemberCommand() {
        super("remove-member", "Remove a user from a team (their open sessions lose access too)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").required(true).help("slug of the team");
        subparser.addArgument("--user").required(true).help("the person's GitHub login");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--team", args.getString("team")));
        require(LoginLinkCommand.checkLogin(args.getString("user")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String teamSlug = args.getString("team");
        String login = args.getString("user");
        return context.jdbi().inTransaction(h -> {
            Team team = AppsCli.team(h.attach(TeamDao.class), teamSlug);
            SessionDao dao = h.attach(SessionDao.class);
            SessionDao.User user = dao.userByLogin(login)
                    .orElseThrow(() -> new UsageError("--user: no user '" + login + "'"));
            if (dao.removeMember(team.id(), user.id()) == 0) {
                throw new UsageError("--user: " + user.login() + " is not a member of " + team.slug());
            }
            return List.of(user.login() + " is no longer a member of " + team.slug()
                    + "; their open dashboard sessions no longer show its apps");
        });
    }
}
