package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code create-team --slug S --name N config.yml} */
public final class CreateTeamCommand extends RhoneCommand {

    public CreateTeamCommand() {
        super("create-team", "Create a team");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--slug").required(true).help("URL name: lowercase letters, digits, '-'");
        subparser.addArgument("--name").required(true).help("display name");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--slug", args.getString("slug")));
        String name = args.getString("name").trim();
        if (name.isEmpty() || name.length() > 200) {
            throw new UsageError("--name must be 1-200 characters");
        }
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("slug");
        TeamDao teams = context.jdbi().onDemand(TeamDao.class);
        if (teams.findBySlug(slug).isPresent()) {
            throw new UsageError("--slug: a team named '" + slug + "' already exists");
        }
        Team team = teams.insert(slug, args.getString("name").trim());
        return List.of("created team " + team.slug() + " (id " + team.id() + ")");
    }
}
