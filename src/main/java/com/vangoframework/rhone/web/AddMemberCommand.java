package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code add-member --team S --user LOGIN config.yml}: lets a person (created if new) see a team's apps. */
public final class AddMemberCommand extends RhoneCommand {

    public AddMemberCommand() {
        super("add-member", "Add a user (by GitHub login; created if new) to a team");
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
        return context.jdbi().inTransaction(h -> {
            Team team = AppsCli.team(h.attach(TeamDao.class), teamSlug);
            SessionDao dao = h.attach(SessionDao.class);
            SessionDao.User user = dao.upsertUser(args.getString("user"));
            boolean added = dao.addMember(team.id(), user.id()) == 1;
            return List.of(user.login() + (added ? " is now a member of " : " was already a member of ") + team.slug());
        });
    }
}
