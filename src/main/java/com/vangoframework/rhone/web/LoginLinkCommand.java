package com.vangoframework.rhone.web;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code login-link --user LOGIN config.yml}: prints a one-time sign-in URL, valid for 10 minutes,
 * as the last line of stdout (for the first sign-in, and for installs without GitHub sign-in).
 */
public final class LoginLinkCommand extends RhoneCommand {

    /** GitHub's login rules: letters, digits and single hyphens, at most 39 characters. */
    private static final Pattern LOGIN = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}");

    public LoginLinkCommand() {
        super("login-link", "Print a one-time sign-in link for a user (valid 10 minutes)");
    }

    static Optional<String> checkLogin(String login) {
        return login != null && LOGIN.matcher(login).matches() ? Optional.empty()
                : Optional.of("--user: '" + login + "' is not a GitHub login (letters, digits and single hyphens)");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--user").required(true).help("the person's GitHub login");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(checkLogin(args.getString("user")));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String login = args.getString("user");
        SessionDao.User user = context.jdbi().onDemand(SessionDao.class).userByLogin(login)
                .orElseThrow(() -> new UsageError("--user: no user '" + login
                        + "'; add them to a team first: add-member --team TEAM --user " + login));
        String token = new Sessions(context.jdbi(), Clock.systemUTC()).createLoginLink(user.id());
        String base = context.config().publicUrl();
        return List.of("One-time sign-in link for " + user.login() + " (valid for "
                + Sessions.LINK_LIFETIME.toMinutes() + " minutes):", base + "/login/link#" + token);
    }
}
