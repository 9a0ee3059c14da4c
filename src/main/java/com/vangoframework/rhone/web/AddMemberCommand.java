package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.Names;
import com.vangoframework.rhone.cli.CommandConfiguration;
import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.github.GitHubUsers;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code add-member --team S --user LOGIN config.yml}: lets a person (created if new) see a team's
 * apps. With GitHub sign-in on, GitHub is asked whose account the login is and its id stored
 * (see {@link Members}).
 */
public final class AddMemberCommand extends RhoneCommand {

    private final Function<CommandConfiguration, Optional<GitHubUsers>> github;

    /** {@code github}: the GitHub to ask for account ids under a configuration, empty if sign-in with it is off. */
    public AddMemberCommand(Function<CommandConfiguration, Optional<GitHubUsers>> github) {
        super("add-member", "Add a user (by GitHub login; created if new) to a team");
        this.github = github;
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
        try {
            return new Members(context.jdbi(), github.apply(context.config()))
                    .add(args.getString("team"), args.getString("user"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UsageError("interrupted while asking GitHub for the account id; nothing was written");
        }
    }
}
