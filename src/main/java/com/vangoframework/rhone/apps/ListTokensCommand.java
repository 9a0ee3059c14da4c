package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code list-tokens --team S config.yml}: a team's API tokens, never the tokens themselves. */
public final class ListTokensCommand extends RhoneCommand {

    public ListTokensCommand() {
        super("list-tokens", "List a team's API tokens (id, name, created, last used, revoked)");
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
        // Last use is recorded at most once a minute, so it can lag a busy client by that much.
        Table table = new Table("ID", "CREATED", "LAST_USED", "REVOKED", "NAME");
        for (ApiTokenDao.TokenInfo t : context.jdbi().onDemand(ApiTokenDao.class).listForTeam(team.id())) {
            table.row(t.id(), t.createdAt(), t.lastUsedAt(), t.revokedAt(), t.name());
        }
        return table.lines();
    }
}
