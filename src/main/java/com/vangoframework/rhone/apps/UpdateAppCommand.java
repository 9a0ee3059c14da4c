package com.vangoframework.rhone.apps;

import com.vangoframework.rhone.cli.RhoneCommand;
import com.vangoframework.rhone.cli.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code update-app --app A [--branch B] [--build-timeout M] [--git-url URL | --repo R --installation ID]
 * [--fork-pull-requests approve|never|always] [--pull-request-secrets on|off] config.yml}.
 * A new source replaces the old one whole: a git URL clears the repository and installation, and
 * the other way round. Deployments already requested keep the branch they were requested for.
 */
public final class UpdateAppCommand extends RhoneCommand {

    public UpdateAppCommand() {
        super("update-app", "Change an app's branch, build timeout, source or pull-request settings");
    }

    @Override
    public void configure(Subparser subparser) {
        super.configure(subparser);
        subparser.addArgument("--app").required(true).help("app slug");
        subparser.addArgument("--branch").help("branch to build");
        subparser.addArgument("--build-timeout").dest("build_timeout").help("build timeout in minutes (1-1440)");
        subparser.addArgument("--git-url").dest("git_url").help("build this plain git URL instead: https://, http:// or file:///path/to/repo");
        subparser.addArgument("--repo").help("build this GitHub repository owner/name instead");
        subparser.addArgument("--installation").help("GitHub App installation id of the repository");
        subparser.addArgument("--fork-pull-requests").dest("fork_pull_requests")
                .help("pull requests from forks: approve (wait for approval), never (not built) or always "
                        + "(built at once); fork builds never get env vars");
        subparser.addArgument("--pull-request-secrets").dest("pull_request_secrets")
                .help("on or off: whether builds of pull requests from the repository itself get the app's env vars");
    }

    @Override
    protected void validate(Namespace args) throws UsageError {
        require(Names.checkSlug("--app", args.getString("app")));
        String branch = args.getString("branch");
        String timeout = args.getString("build_timeout");
        String gitUrl = args.getString("git_url");
        String repo = args.getString("repo");
        String installation = args.getString("installation");
        String forkPullRequests = args.getString("fork_pull_requests");
        String pullRequestSecrets = args.getString("pull_request_secrets");
        if (branch == null && timeout == null && gitUrl == null && repo == null && installation == null
                && forkPullRequests == null && pullRequestSecrets == null) {
            throw new UsageError("nothing to change: give --branch, --build-timeout, --git-url, "
                    + "--repo and --installation, --fork-pull-requests or --pull-request-secrets");
        }
        if (branch != null) {
            require(Names.checkBranch("--branch", branch));
        }
        if (timeout != null) {
            CreateAppCommand.timeoutSeconds(timeout);
        }
        if (gitUrl != null) {
            CreateAppCommand.checkGitUrlSource(gitUrl, repo, installation);
        }
        if (repo != null) {
            require(Names.checkRepo("--repo", repo));
        }
        if (installation != null) {
            CreateAppCommand.installationId(installation);
        }
        if (forkPullRequests != null) {
            CreateAppCommand.forkPolicy(forkPullRequests);
        }
        if (pullRequestSecrets != null) {
            CreateAppCommand.pullRequestSecrets(pullRequestSecrets);
        }
    }

    @Override
    protected List<String> execute(Namespace args, Context context) throws UsageError {
        String slug = args.getString("app");
        return context.jdbi().inTransaction(h -> {
            AppDao apps = h.attach(AppDao.class);
            App old = AppsCli.app(apps, slug);
            App updated = apply(old, args);
            if (updated.equals(old)) {
                return List.of("app " + slug + " already has these settings; nothing changed");
            }
            apps.update(updated);
            List<String> out = new ArrayList<>(List.of("updated app " + slug + ":"));
            change(out, "source", old.describeSource(), updated.describeSource());
            change(out, "branch", old.branch(), updated.branch());
            change(out, "build timeout", Table.seconds(old.buildTimeoutSeconds()),
                    Table.seconds(updated.buildTimeoutSeconds()));
            change(out, "fork pull requests", old.forkPullRequests(), updated.forkPullRequests());
            change(out, "pull request env vars", CreateAppCommand.onOff(old.pullRequestSecrets()),
                    CreateAppCommand.onOff(updated.pullRequestSecrets()));
            return out;
        });
    }

    private static App apply(App app, Namespace args) throws UsageError {
        String repo = args.getString("repo");
        String installation = args.getString("installation");
        String githubRepo = app.githubRepo();
        Long installationId = app.installationId();
        String gitUrl = app.gitUrl();
        if (args.getString("git_url") != null) {
            githubRepo = null;
            installationId = null;
            gitUrl = args.getString("git_url");
        } else if (repo != null || installation != null) {
            // A GitHub app may change one of the two; a git URL app needs both to switch over.
            if (!app.isGitHub() && (repo == null || installation == null)) {
                throw new UsageError("--repo and --installation are required together to switch app " + app.slug()
                        + " from a git URL to a GitHub repository");
            }
            githubRepo = Objects.requireNonNullElse(repo, githubRepo);
            installationId = installation == null ? installationId : CreateAppCommand.installationId(installation);
            gitUrl = null;
        }
        String branch = Objects.requireNonNullElse(args.getString("branch"), app.branch());
        String timeout = args.getString("build_timeout");
        int timeoutSeconds = timeout == null ? app.buildTimeoutSeconds() : CreateAppCommand.timeoutSeconds(timeout);
        String fork = args.getString("fork_pull_requests");
        String forkPullRequests = fork == null ? app.forkPullRequests() : CreateAppCommand.forkPolicy(fork).dbValue();
        String secrets = args.getString("pull_request_secrets");
        boolean pullRequestSecrets = secrets == null ? app.pullRequestSecrets()
                : CreateAppCommand.pullRequestSecrets(secrets);
        return new App(app.id(), app.teamId(), app.slug(), githubRepo, installationId, gitUrl, branch, timeoutSeconds,
                app.createdAt(), forkPullRequests, pullRequestSecrets);
    }

    private static void change(List<String> out, String field, String before, String after) {
        if (!before.equals(after)) {
            out.add("  " + field + ": " + before + " -> " + after);
        }
    }
}
