package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.BuildLog;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.lib.BatchingProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * Fetches exactly one commit with JGit, shallow: the branch head, or a requested SHA, and writes
 * its tree only after {@link CheckoutGuard} has found it within the size caps and without a
 * symbolic link out of the checkout. The
 * installation token travels only inside a {@link CredentialsProvider} (user {@code x-access-token}):
 * never in the URL, {@code .git/config}, a log line or an exception message.
 */
public final class GitCheckout {

    /** The commit that was checked out. */
    public record Checkout(Path dir, String sha, String message, String author) {
    }

    private final RepoCredentials credentials;
    private final String gitHubUrl;
    private final Duration timeout;
    private final CheckoutGuard.Limits limits;

    public GitCheckout(RepoCredentials credentials, String gitHubUrl, Duration timeout) {
        this(credentials, gitHubUrl, timeout, CheckoutGuard.Limits.DEFAULT);
    }

    public GitCheckout(RepoCredentials credentials, String gitHubUrl, Duration timeout, CheckoutGuard.Limits limits) {
        this.limits = limits;
        this.credentials = credentials;
        this.gitHubUrl = gitHubUrl.endsWith("/") ? gitHubUrl.substring(0, gitHubUrl.length() - 1) : gitHubUrl;
        this.timeout = timeout;
    }

    public String urlOf(App app) {
        return app.isGitHub() ? gitHubUrl + "/" + app.githubRepo() + ".git" : app.gitUrl();
    }

    /** Secrets this checkout may handle, for the log masker. */
    public Optional<String> token(App app) throws BuildFailure {
        try {
            return credentials.tokenFor(app);
        } catch (BuildFailure e) {
            throw e;
        } catch (Exception e) {
            throw new BuildFailure("could not get a GitHub installation token for " + app.githubRepo()
                    + ": check that the GitHub App is installed on the repository", e);
        }
    }

    public Checkout checkout(App app, Deployment d, Path dir, Optional<String> token, BuildLog log,
                             BuildContext ctx) throws BuildFailure, BuildContext.BuildAbortedException {
        String url = urlOf(app);
        String where = displayUrl(url);
        CredentialsProvider cp = token.<CredentialsProvider>map(t ->
                new UsernamePasswordCredentialsProvider("x-access-token", t)).orElse(null);
        int timeoutSeconds = readTimeoutSeconds();
        // The refs are listed from inside a repository: JGit's dumb-HTTP transport needs one.
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("rhone").call()) {
            ObjectId target = d.commitSha() != null ? ObjectId.fromString(d.commitSha())
                    : branchHead(git, app, url, where, d.branch(), cp, timeoutSeconds);
            ctx.throwIfAborted();
            log.line("Fetching " + target.name() + (d.commitSha() == null ? " (head of " + d.branch() + ")" : "")
                    + " from " + where);
            try {
                git.fetch()
                        .setRemote(url) // a URL, not a named remote: nothing is written to .git/config
                        .setRefSpecs(new RefSpec(target.name() + ":refs/heads/rhone"))
                        .setDepth(1)
                        .setCredentialsProvider(cp)
                        .setTimeout(timeoutSeconds)
                        .setProgressMonitor(new AbortingMonitor(ctx))
                        .setTransportConfigCallback(transport -> {
                            SameHostHttp.restrict(transport, url);
                            // A cancel closes the connection, which also ends a read that is blocked.
                            ctx.onAbort(transport::close);
                        })
                        .call();
            } catch (TransportException e) {
                ctx.throwIfAborted();
                diskFull(e);
                if (d.commitSha() != null && !unreachable(e)) {
                    throw new BuildFailure("commit " + d.commitSha() + " was not found in " + where
                            + ": check the SHA, or push it first", e);
                }
                throw transportFailure(app, where, e);
            }
            ctx.throwIfAborted();
            try (RevWalk walk = new RevWalk(git.getRepository())) {
                RevCommit commit = walk.parseCommit(target);
                // Decided from the fetched objects: nothing of the tree is on disk yet.
                CheckoutGuard.checkTree(walk.getObjectReader(), commit.getTree(), target.name(), limits);
                git.reset().setMode(ResetCommand.ResetType.HARD).setRef(target.name()).call();
                // And again as written, in case JGit wrote something the tree did not say.
                CheckoutGuard.checkWorkingTree(dir);
                String author = commit.getAuthorIdent().getName();
                return new Checkout(dir, target.name(), commit.getFullMessage().strip(), author);
            }
        } catch (GitAPIException | java.io.IOException e) {
            ctx.throwIfAborted();
            diskFull(e);
            throw new BuildFailure("could not check out the commit from " + where + ": " + safeReason(e), e);
        } catch (RuntimeException e) {
            // JGit's own faults (JGitInternalException, and worse) on a server it did not expect;
            // also how a checkout's write (reset --hard) reports a full disk.
            ctx.throwIfAborted();
            diskFull(e);
            throw new BuildFailure("cloning " + where + " failed inside JGit (" + e.getClass().getSimpleName()
                    + "): check that the URL is the repository's clone URL on a smart-HTTP git server", e);
        }
    }

    private ObjectId branchHead(Git git, App app, String url, String where, String branch, CredentialsProvider cp,
                                int timeoutSeconds) throws BuildFailure {
        Collection<Ref> refs;
        try {
            refs = git.lsRemote().setRemote(url).setHeads(true).setCredentialsProvider(cp)
                    .setTimeout(timeoutSeconds).setTransportConfigCallback(t -> SameHostHttp.restrict(t, url)).call();
        } catch (TransportException e) {
            throw transportFailure(app, where, e);
        } catch (GitAPIException e) {
            throw new BuildFailure("could not list the branches of " + where + ": " + safeReason(e), e);
        }
        return refs.stream().filter(r -> r.getName().equals("refs/heads/" + branch)).findFirst()
                .map(Ref::getObjectId)
                .orElseThrow(() -> new BuildFailure("branch " + branch + " was not found in " + where
                        + ": push it, or change the app's branch"));
    }

    /**
     * Throws "no space left on the build node" when {@code e} comes from a full disk (ENOSPC,
     * "No space left on device" in Java's words): JGit reports a pack it could not write as a
     * failed transport, which would otherwise read as an unreachable or incomplete repository.
     */
    static void diskFull(Throwable e) throws BuildFailure {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().toLowerCase(java.util.Locale.ROOT)
                    .contains("no space left on device")) {
                throw new BuildFailure(PushFailures.diskFullSentence(t.getMessage().replaceAll("://[^/@\\s]+@", "://")
                        .strip().replaceAll("\\s*\\R\\s*", " ")), e);
            }
        }
    }

    /** One sentence naming the URL and what to try, whatever JGit's words were. */
    private BuildFailure transportFailure(App app, String where, TransportException e) throws BuildFailure {
        diskFull(e);
        // A refused request to another host says so, whatever JGit wrapped it in: depending on
        // which of its requests failed first, a dumb-HTTP walk reports an object "not found"
        // with the refusal underneath.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(SameHostHttp.REFUSAL)) {
                return new BuildFailure("could not fetch from " + where + " (" + safeReason((Exception) t)
                        + "): check the URL and that the git host is up, then retry", e);
            }
        }
        String reason = safeReason(e).toLowerCase(java.util.Locale.ROOT);
        if (refusedAccess(reason)) {
            return new BuildFailure("repository " + where + " was not found or rhone has no access to it: "
                    + (app.isGitHub() ? "check the app's repository and the GitHub App installation"
                    : "check the app's git URL; rhone sends no credentials to a plain git URL, so the "
                    + "repository must be readable without them"), e);
        }
        if (reason.contains("timeout") || reason.contains("timed out") || timedOut(e)) {
            return new BuildFailure("cloning " + where + " timed out: the git host sent nothing for "
                    + readTimeoutSeconds() + " s; check that it is reachable", e);
        }
        if (reason.contains("invalid advertisement") || reason.contains("not a git repository")
                || reason.contains("invalid content-type")) {
            return new BuildFailure(where + " did not answer as a git server: check that the app's git URL is "
                    + "the repository's clone URL (as `git clone` takes it)", e);
        }
        if (unreachable(e)) {
            return new BuildFailure("could not reach the git host of " + where + " (" + rootCause(e)
                    + "): check the URL and that the host is up, then retry", e);
        }
        return new BuildFailure("could not fetch from " + where + " (" + rootCause(e)
                + "): check the URL and that the git host is up, then retry", e);
    }

    /** An HTTP status 401, 403 or 404 standing alone: not the digits of a port such as {@code :38401}. */
    private static final java.util.regex.Pattern ACCESS_STATUS = java.util.regex.Pattern.compile(
            "(?<![:\\d])(401|403|404)(?!\\d)");

    /** JGit's reason (lower case) says the repository is missing or closed to rhone. */
    static boolean refusedAccess(String reason) {
        return reason.contains("not authorized") || reason.contains("authentication") || reason.contains("not found")
                || ACCESS_STATUS.matcher(reason).find();
    }

    /** A read waited past the timeout (JGit says only "connection failed" on top of it). */
    private static boolean timedOut(Throwable e) {
        return causedBy(e, java.net.SocketTimeoutException.class);
    }

    /** The connection itself failed: refused, reset, closed early, unknown host. */
    private static boolean unreachable(TransportException e) {
        return causedBy(e, java.net.SocketException.class, java.net.UnknownHostException.class,
                java.io.EOFException.class)
                || safeReason(e).toLowerCase(java.util.Locale.ROOT).contains("connection failed");
    }

    @SafeVarargs
    private static boolean causedBy(Throwable e, Class<? extends Throwable>... types) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * JGit's timeout bounds each network read, not the whole clone: kept short so a stalled server
     * (or a cancel waiting on a blocked read) is noticed quickly; the build timeout bounds the rest.
     */
    private int readTimeoutSeconds() {
        return (int) Math.max(1, Math.min(timeout.toSeconds(), 30));
    }

    /** The innermost message: JGit wraps the socket's own words ("Connection refused") twice. */
    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.replaceAll("://[^/@\\s]+@", "://").strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** JGit messages repeat the URL they were given; ours never carries credentials, but be sure. */
    static String safeReason(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("://[^/@\\s]+@", "://");
    }

    static String displayUrl(String url) {
        try {
            URI uri = new URI(url);
            if (uri.getRawUserInfo() != null) {
                return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null)
                        .toString();
            }
        } catch (java.net.URISyntaxException e) {
            return url.replaceAll("://[^/@\\s]+@", "://");
        }
        return url;
    }

    /** Lets a cancel stop a long fetch between progress updates. */
    private static final class AbortingMonitor extends BatchingProgressMonitor {
        private final BuildContext ctx;

        AbortingMonitor(BuildContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public boolean isCancelled() {
            return ctx.isAborted();
        }

        @Override
        protected void onUpdate(String taskName, int workCurr, Duration duration) {
        }

        @Override
        protected void onEndTask(String taskName, int workCurr, Duration duration) {
        }

        @Override
        protected void onUpdate(String taskName, int workCurr, int workTotal, int percentDone, Duration duration) {
        }

        @Override
        protected void onEndTask(String taskName, int workCurr, int workTotal, int percentDone, Duration duration) {
        }
    }
}
