package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code create-team --slug S --name N [--pending-quota Q] config.yml} */
public final class CreateTeamCommand extends RhoneCommand {

    /** As V11's check on {@code teams.pending_quota}. */
    static final int MAX_PENDING_QUOTA = 100_000;

    public CreateTeamCommand() {
        super("create-team", "Create a team");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--slug").required(true).help("URL name: lowercase letters, digits, '-'");
        subparser.addArgument("--name").required(true).help("display name");
        subparser.addArgument("--pending-quota").dest("pending_quota")
                .help("the most deployments the team may have waiting to build (1-100000, default 50)");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--slug", args.getString("slug")));
        String name = args.getString("name").trim();
        if (name.isEmpty() || name.length() > 200) {
            throw new UsageError("--name must be 1-200 characters");
        }
        if (args.getString("pending_quota") != null) {
            pendingQuota(args.getString("pending_quota"));
        }
    }

    /** A {@code --pending-quota} argument: a whole number the migration's check accepts. */
    static int pendingQuota(String value) throws UsageError {
        try {
            int quota = Integer.parseInt(value.trim());
            if (quota >= 1 && quota <= MAX_PENDING_QUOTA) {
                return quota;
            }
        } catch (NumberFormatException e) {
            // the same sentence below
        }
        throw new UsageError("--pending-quota must be a whole number from 1 to " + MAX_PENDING_QUOTA);
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("slug");
        TeamDao teams = context.jdbi().onDemand(TeamDao.class);
        if (teams.findBySlug(slug).isPresent()) {
            throw new UsageError("--slug: a team named '" + slug + "' already exists");
        }
        String quota = args.getString("pending_quota");
        Team team = context.jdbi().inTransaction(h -> {
            TeamDao dao = h.attach(TeamDao.class);
            Team created = dao.insert(slug, args.getString("name").trim());
            if (quota != null) {
                dao.setPendingQuota(created.id(), pendingQuota(quota));
            }
            return created;
        });
        return List.of("created team " + team.slug() + " (id " + team.id() + ")");
    }
}
