package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.AppsCli;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.cli.RhoneCommand.UsageError;
import com.vangoframework.rhone.db.StoredText;
import com.vangoframework.rhone.github.GitHubOAuth;
import com.vangoframework.rhone.github.GitHubUsers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Adding a person to a team ({@code add-member}). Where people sign in with GitHub, the person is
 * a GitHub account id, asked from GitHub for the login the administrator typed, because "Sign in
 * with GitHub" matches by id only: a login is a name GitHub gives to whoever registers it after
 * its holder renames. Without GitHub sign-in a person is a login, for {@code login-link}.
 */
public final class Members {

    private final Jdbi jdbi;
    private final Optional<GitHubUsers> github;

    /** {@code github} empty: GitHub sign-in is off, and no id is asked for. */
    public Members(Jdbi jdbi, Optional<GitHubUsers> github) {
        this.jdbi = jdbi;
        this.github = github;
    }

    /** Adds the person; returns the lines {@code add-member} prints. Bad input writes nothing. */
    public List<String> add(String teamSlug, String login) throws UsageError, InterruptedException {
        if (github.isEmpty()) {
            return addByLogin(teamSlug, login, null);
        }
        // A mistyped team costs no call to GitHub.
        AppsCli.team(jdbi.onDemand(TeamDao.class), teamSlug);
        GitHubUsers.Lookup lookup = github.get().byLogin(login);
        if (lookup instanceof GitHubUsers.Found found) {
            return addAccount(teamSlug, login, found.account());
        }
        if (lookup instanceof GitHubUsers.Refused refused) {
            throw new UsageError("--user: " + refused.reason() + "; nothing was written");
        }
        return addByLogin(teamSlug, login, ((GitHubUsers.Unavailable) lookup).reason());
    }

    /** As before GitHub sign-in: the login alone. {@code unavailable}: why GitHub could not be asked. */
    private List<String> addByLogin(String teamSlug, String login, String unavailable) throws UsageError {
        return jdbi.inTransaction(h -> {
            Team team = AppsCli.team(h.attach(TeamDao.class), teamSlug);
            SessionDao dao = h.attach(SessionDao.class);
            SessionDao.User user = dao.upsertUser(login);
            boolean added = dao.addMember(team.id(), user.id()) == 1;
            List<String> lines = new ArrayList<>();
            lines.add(user.login() + (added ? " is now a member of " : " was already a member of ") + team.slug()
                    + (user.githubId() == null ? "" : " (GitHub account " + user.githubId() + ")"));
            if (unavailable != null && user.githubId() == null) {
                lines.add("No GitHub account id stored (" + unavailable + "): " + login + " signs in with a link from"
                        + " login-link, not with GitHub, until add-member --team " + team.slug() + " --user " + login
                        + " is run again while GitHub answers");
            }
            return lines;
        });
    }

    private List<String> addAccount(String teamSlug, String login, GitHubOAuth.Account account) throws UsageError {
        String name = StoredText.clean(account.name());
        return jdbi.inTransaction(h -> {
            Team team = AppsCli.team(h.attach(TeamDao.class), teamSlug);
            SessionDao dao = h.attach(SessionDao.class);
            List<String> lines = new ArrayList<>();
            SessionDao.User user;
            Optional<SessionDao.User> byId = dao.userByGithubId(account.id());
            if (byId.isPresent()) {
                user = byId.get();
                dao.updateName(user.id(), name);
                if (!user.login().toLowerCase(Locale.ROOT).equals(login.toLowerCase(Locale.ROOT))) {
                    // They renamed on GitHub: the same person, under the login they were added by.
                    lines.add(login + " is GitHub account " + account.id() + ", the user " + user.login() + " here");
                }
            } else {
                Optional<SessionDao.User> byLogin = dao.userByLogin(login);
                if (byLogin.isPresent() && byLogin.get().githubId() != null) {
                    throw new UsageError("--user: the login " + login + " now names GitHub account " + account.id()
                            + ", not account " + byLogin.get().githubId() + " that the user " + login + " here is"
                            + " (they renamed, or someone else took the login); nothing was written; if they renamed,"
                            + " add them by their new login");
                }
                if (byLogin.isPresent()) {
                    user = byLogin.get();
                    dao.linkGithub(user.id(), account.id(), name);
                } else {
                    user = dao.insertUser(login, account.id(), name);
                }
            }
            boolean added = dao.addMember(team.id(), user.id()) == 1;
            lines.add(user.login() + (added ? " is now a member of " : " was already a member of ") + team.slug()
                    + " (GitHub account " + account.id() + ")");
            return lines;
        });
    }
}
