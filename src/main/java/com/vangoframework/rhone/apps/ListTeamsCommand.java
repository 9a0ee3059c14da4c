package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code list-teams config.yml}: every team with its numbers of apps, members and live tokens,
 * and its deployments waiting to build against its quota ("3/50").
 */
public final class ListTeamsCommand extends RhoneCommand {

    public ListTeamsCommand() {
        super("list-teams", "List the teams");
    }

    @Override
    protected List<String> execute(Namespace args, Context context) {
        Table table = new Table("TEAM", "APPS", "MEMBERS", "TOKENS", "PENDING", "CREATED", "NAME");
        for (TeamDao.Summary t : context.jdbi().onDemand(TeamDao.class).summaries()) {
            table.row(t.slug(), t.apps(), t.members(), t.tokens(), t.pending() + "/" + t.pendingQuota(),
                    t.createdAt(), t.name());
        }
        return table.lines();
    }
}
