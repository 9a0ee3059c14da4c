package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code create-token --team S config.yml}: prints a new API token once, as the last line of stdout. */
public final class CreateTokenCommand extends RhoneCommand {

    public CreateTokenCommand() {
        super("create-token", "Create an API token for a team (shown once)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").required(true).help("slug of the team");
        subparser.addArgument("--name").help("a note on what the token is for");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--team", args.getString("team")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String teamSlug = args.getString("team");
        Team team = AppsCli.team(context.jdbi().onDemand(TeamDao.class), teamSlug);
        String token = ApiTokens.generate();
        context.jdbi().onDemand(ApiTokenDao.class).insert(team.id(), ApiTokens.sha256(token), args.getString("name"));
        return List.of("API token for team " + team.slug() + " (shown once; only its hash is stored):", token);
    }
}
