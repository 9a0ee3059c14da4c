package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import java.util.List;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code create-app --team S --slug A (--repo owner/name --installation ID | --git-url URL) --branch B
 * [--fork-pull-requests approve|never|always] [--pull-request-secrets on|off] config.yml}. The two
 * pull-request settings only matter for GitHub apps; a git URL app stores them (they apply if it
 * later switches to a GitHub repository).
 */
public final class CreateAppCommand extends RhoneCommand {

    public CreateAppCommand() {
        super("create-app", "Create an app that builds a GitHub repository or a git URL");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--team").required(true).help("slug of the owning team");
        subparser.addArgument("--slug").required(true).help("app name, unique across rhone");
        subparser.addArgument("--repo").help("GitHub repository owner/name (with --installation)");
        subparser.addArgument("--installation").help("GitHub App installation id (with --repo)");
        subparser.addArgument("--git-url").dest("git_url").help("plain git URL instead of --repo: https://, http:// or file:///path/to/repo");
        subparser.addArgument("--branch").required(true).help("branch to build");
        subparser.addArgument("--build-timeout").dest("build_timeout").setDefault("30")
                .help("build timeout in minutes (1-1440, default 30)");
        subparser.addArgument("--fork-pull-requests").dest("fork_pull_requests").setDefault("approve")
                .help("pull requests from forks: approve (wait for a team member or a GitHub user with write "
                        + "access, the default), never (not built) or always (built at once); fork builds never "
                        + "get env vars");
        subparser.addArgument("--pull-request-secrets").dest("pull_request_secrets").setDefault("off")
                .help("on: builds of pull requests from the repository itself (not forks) get the app's env vars "
                        + "(default off)");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--team", args.getString("team")));
        require(Names.checkNewAppSlug("--slug", args.getString("slug")));
        require(Names.checkBranch("--branch", args.getString("branch")));
        String repo = args.getString("repo");
        String installation = args.getString("installation");
        String gitUrl = args.getString("git_url");
        if (gitUrl != null) {
            checkGitUrlSource(gitUrl, repo, installation);
        } else {
            if (repo == null || installation == null) {
                throw new UsageError("--repo and --installation are required together (or give --git-url)");
            }
            require(Names.checkRepo("--repo", repo));
            installationId(installation);
        }
        timeoutSeconds(args.getString("build_timeout"));
        forkPolicy(args.getString("fork_pull_requests"));
        pullRequestSecrets(args.getString("pull_request_secrets"));
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String teamSlug = args.getString("team");
        String slug = args.getString("slug");
        return context.jdbi().inTransaction(handle -> {
            Team team = AppsCli.team(handle.attach(TeamDao.class), teamSlug);
            AppDao apps = handle.attach(AppDao.class);
            if (apps.findBySlug(slug).isPresent()) {
                throw new UsageError("--slug: an app named '" + slug + "' already exists");
            }
            String installation = args.getString("installation");
            App app = apps.insert(new AppDao.NewApp(team.id(), slug, args.getString("repo"),
                    installation == null ? null : installationId(installation), args.getString("git_url"),
                    args.getString("branch"), timeoutSeconds(args.getString("build_timeout")),
                    forkPolicy(args.getString("fork_pull_requests")).dbValue(),
                    pullRequestSecrets(args.getString("pull_request_secrets"))));
            String source = app.isGitHub() ? app.githubRepo() + " (installation " + app.installationId() + ")"
                    : app.gitUrl();
            return List.of("created app " + app.slug() + " (id " + app.id() + ") building " + source
                    + " branch " + app.branch());
        });
    }

    /** A plain git URL as an app's source: valid, and not mixed with a GitHub repository. */
    static void checkGitUrlSource(String gitUrl, String repo, String installation) throws UsageError {
        if (repo != null || installation != null) {
            throw new UsageError("--git-url cannot be combined with --repo or --installation");
        }
        require(Names.checkGitUrl("--git-url", gitUrl));
    }

    static long installationId(String value) throws UsageError {
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw new UsageError("--installation must be a positive number (the GitHub App installation id)");
    }

    static App.ForkPolicy forkPolicy(String value) throws UsageError {
        for (App.ForkPolicy policy : App.ForkPolicy.values()) {
            if (policy.dbValue().equals(value)) {
                return policy;
            }
        }
        throw new UsageError("--fork-pull-requests must be approve, never or always");
    }

    static boolean pullRequestSecrets(String value) throws UsageError {
        if ("on".equals(value)) {
            return true;
        }
        if ("off".equals(value)) {
            return false;
        }
        throw new UsageError("--pull-request-secrets must be on or off");
    }

    /** How {@code update-app} reports {@code pull_request_secrets}, as the option spells it. */
    static String onOff(boolean value) {
        return value ? "on" : "off";
    }

    static int timeoutSeconds(String minutes) throws UsageError {
        try {
            int m = Integer.parseInt(minutes);
            if (m >= 1 && m <= 1440) {
                return Math.max(60, m * 60);
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw new UsageError("--build-timeout must be a whole number of minutes from 1 to 1440");
    }
}
