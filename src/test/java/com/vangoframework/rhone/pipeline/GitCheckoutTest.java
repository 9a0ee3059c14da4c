package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.OddGitHosts;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The checkout against a real smart-HTTP git server that demands the token. */
class GitCheckoutTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private static final String TOKEN = "ghs_checkoutTestToken0123456789";

    @Test
    void aFullDisk_underJGitsTransportError_saysNoSpaceLeftOnTheBuildNode_notThatTheHostIsUnreachable() {
        // As JGit reports a fetched pack it could not write: the OS's words at the bottom.
        var e = new org.eclipse.jgit.api.errors.TransportException("https://x-access-token:" + TOKEN
                + "@git.example/r.git: Could not write pack", new org.eclipse.jgit.errors.TransportException(
                "https://git.example/r.git", new java.io.IOException("No space left on device")));
        assertThatThrownBy(() -> GitCheckout.diskFull(e)).isInstanceOf(BuildFailure.class)
                .hasMessage("no space left on the build node: No space left on device");
        // As a checkout's reset --hard reports a file it could not write (JGit wraps it unchecked).
        assertThatThrownBy(() -> GitCheckout.diskFull(new org.eclipse.jgit.api.errors.JGitInternalException(
                "Exception caught during execution of reset command", new java.io.IOException(
                        "No space left on device")))).hasMessage("no space left on the build node: No space left on device");
        // Anything else is left to the other sentences.
        org.assertj.core.api.Assertions.assertThatCode(() -> GitCheckout.diskFull(
                new java.io.IOException("Connection refused"))).doesNotThrowAnyException();
    }

    @Test
    void tokenTravelsOnlyInTheCredentialsProvider_neverIntoGitConfigOrTheLog() throws Exception {
        StepFixture step = new StepFixture(threads);
        String sha;
        try (TestRepo repo = new TestRepo(dir.resolve("repos/web"))) {
            sha = repo.commit("hello", Map.of("README", "hi\n"));
        }
        try (GitServer server = new GitServer(dir.resolve("repos"), TOKEN)) {
            App app = withUrl(step.app, server.url("web"));
            GitCheckout checkout = new GitCheckout(a -> Optional.of(TOKEN), "https://github.com", Duration.ofMinutes(1));
            GitCheckout.Checkout result;
            try (BuildLog log = step.log(List.of(TOKEN))) {
                result = checkout.checkout(app, step.deployment, dir.resolve("src"), checkout.token(app), log, step.ctx);
            }
            assertThat(result.sha()).isEqualTo(sha);
            assertThat(Files.readString(dir.resolve("src/README"))).isEqualTo("hi\n");
            try (Stream<Path> files = Files.walk(dir.resolve("src/.git"))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                            .as(f.toString()).doesNotContain(TOKEN);
                }
            }
            assertThat(Files.readString(dir.resolve("src/.git/config"))).doesNotContain("[remote");
            assertThat(step.storedLog()).contains("Fetching " + sha).doesNotContain(TOKEN);
        }
    }

    @Test
    void wrongToken_isNoAccess_andTheMessageCarriesNoToken() throws Exception {
        StepFixture step = new StepFixture(threads);
        try (TestRepo repo = new TestRepo(dir.resolve("repos/web"))) {
            repo.commit("hello", Map.of("README", "hi\n"));
        }
        try (GitServer server = new GitServer(dir.resolve("repos"), TOKEN)) {
            // A GitHub app (tokens are for those only), on a git host standing in for GitHub.
            String gitHubUrl = server.url("web").substring(0, server.url("web").length() - "/web.git".length());
            App app = new App(step.app.id(), step.app.teamId(), step.app.slug(), "web", 42L, null, "main", 60, null, "approve", false);
            String wrong = "ghs_wrongTokenValue987654321";
            GitCheckout checkout = new GitCheckout(a -> Optional.of(wrong), gitHubUrl, Duration.ofMinutes(1));
            try (BuildLog log = step.log(List.of(wrong))) {
                assertThatThrownBy(() -> checkout.checkout(app, step.deployment, dir.resolve("src"), checkout.token(app),
                        log, step.ctx))
                        .isInstanceOf(BuildFailure.class)
                        .hasMessage("repository " + server.url("web") + " was not found or rhone has no access to it: "
                                + "check the app's repository and the GitHub App installation")
                        .satisfies(e -> assertThat(stackText(e)).doesNotContain(wrong));
            }
        }
    }

    @Test
    void gitHubApps_cloneFromTheConfiguredGitHubUrl() {
        GitCheckout checkout = new GitCheckout(RepoCredentials.NONE, "https://ghe.example.com/", Duration.ofMinutes(1));
        App app = new App(1, 1, "web", "acme/web", 42L, null, "main", 60, null, "approve", false);
        assertThat(checkout.urlOf(app)).isEqualTo("https://ghe.example.com/acme/web.git");
    }

    @Test
    void dumbHttpServer_plainFilesOfABareRepository_isClonedLikeASmartOne() throws Exception {
        String sha = commitAndServe("hello");
        try (OddGitHosts host = OddGitHosts.dumbHttp(dir.resolve("bare.git"))) {
            StepFixture step = new StepFixture(threads);
            GitCheckout.Checkout result;
            try (BuildLog log = step.log(List.of())) {
                result = anonymous().checkout(withUrl(step.app, host.url()), step.deployment, dir.resolve("src"),
                        Optional.empty(), log, step.ctx);
            }
            assertThat(result.sha()).isEqualTo(sha);
            assertThat(Files.readString(dir.resolve("src/README"))).isEqualTo("hi\n");
        }
    }

    @Test
    void dumbHttpServerNamingAlternatesOnAnotherHost_isRefused_andTheOtherHostIsNeverAsked() throws Exception {
        commitAndServe("hello");
        Path bare = dir.resolve("bare.git");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere.git"));
        Files.move(bare.resolve("objects"), elsewhere.resolve("objects"));
        Files.createDirectories(bare.resolve("objects/info"));
        try (OddGitHosts other = OddGitHosts.dumbHttp(elsewhere);
             OddGitHosts host = OddGitHosts.dumbHttp(bare)) {
            // The objects are only on the other host, which the server names as its alternate.
            Files.writeString(bare.resolve("objects/info/http-alternates"), other.url() + "/objects\n");
            assertThat(assertOneSentenceNaming(host.url(), "rhone only fetches from the app's own git host"))
                    .contains("the git server pointed rhone at http://127.0.0.1:" + other.url().split(":")[2]
                            .replace("/repo.git", ""));
            assertThat(other.requests()).as("requests that reached the other host").isZero();
        }
    }

    @Test
    void dumbHttpServerWithACorruptPack_isOneSentenceNamingTheUrl() throws Exception {
        commitAndServe("hello");
        try (Stream<Path> packs = Files.list(dir.resolve("bare.git/objects/pack"))) {
            for (Path pack : packs.filter(p -> p.toString().endsWith(".pack")).toList()) {
                byte[] bytes = Files.readAllBytes(pack);
                java.util.Arrays.fill(bytes, 12, bytes.length - 20, (byte) 0x5a);
                Files.write(pack, bytes);
            }
        }
        try (OddGitHosts host = OddGitHosts.dumbHttp(dir.resolve("bare.git"))) {
            assertOneSentenceNaming(host.url(), "check");
        }
    }

    @Test
    void plainGitUrlThatIsNotFound_pointsAtTheUrl_notAtTheGitHubApp() throws Exception {
        commitAndServe("hello");
        try (OddGitHosts host = OddGitHosts.dumbHttp(dir.resolve("bare.git"))) {
            String missing = host.url().replace("/repo.git", "/nothing-here.git");
            assertThat(assertOneSentenceNaming(missing, "check the app's git URL")).isEqualTo("repository " + missing
                    + " was not found or rhone has no access to it: check the app's git URL; rhone sends no "
                    + "credentials to a plain git URL, so the repository must be readable without them");
        }
    }

    @Test
    void anHttpStatusOfAccess_isReadAsSuch_butNotTheDigitsOfAPort() {
        assertThat(GitCheckout.refusedAccess("https://git.example/r.git: 401 unauthorized")).isTrue();
        assertThat(GitCheckout.refusedAccess("http://h/r.git: status code 404")).isTrue();
        assertThat(GitCheckout.refusedAccess("https://git.example/r.git: authentication is required")).isTrue();
        // Once in a while the test host's port held these digits and the wrong sentence came out.
        assertThat(GitCheckout.refusedAccess("http://127.0.0.1:38401/repo.git: connection failed")).isFalse();
        assertThat(GitCheckout.refusedAccess("http://127.0.0.1:40403/repo.git: unexpected end of file")).isFalse();
        assertThat(GitCheckout.refusedAccess("http://127.0.0.1:404/repo.git: connection refused")).isFalse();
    }

    @Test
    void serverThatClosesTheConnectionAtOnce_isOneSentenceNamingTheUrlAndWhatToTry() throws Exception {
        try (OddGitHosts host = OddGitHosts.closingEarly()) {
            assertThat(assertOneSentenceNaming(host.url(), "check the URL and that the host is up"))
                    .startsWith("could not reach the git host of " + host.url());
        }
    }

    @Test
    void webPageInsteadOfARepository_saysItIsNotAGitServer() throws Exception {
        try (OddGitHosts host = OddGitHosts.webPage()) {
            assertThat(assertOneSentenceNaming(host.url(), "clone URL"))
                    .isEqualTo(host.url() + " did not answer as a git server: check that the app's git URL is the "
                            + "repository's clone URL (as `git clone` takes it)");
        }
    }

    @Test
    void hostThatNeverAnswers_timesOutWithTheReadTimeoutItReallyUsed() throws Exception {
        try (OddGitHosts host = OddGitHosts.silent()) {
            StepFixture step = new StepFixture(threads);
            GitCheckout checkout = new GitCheckout(a -> Optional.empty(), "https://github.com", Duration.ofSeconds(1));
            try (BuildLog log = step.log(List.of())) {
                assertThatThrownBy(() -> checkout.checkout(withUrl(step.app, host.url()), step.deployment,
                        dir.resolve("src"), Optional.empty(), log, step.ctx))
                        .isInstanceOf(BuildFailure.class)
                        .hasMessage("cloning " + host.url() + " timed out: the git host sent nothing for 1 s; "
                                + "check that it is reachable");
            }
        }
    }

    @Test
    void nothingListening_isOneSentenceNamingTheUrl() throws Exception {
        String url = "http://127.0.0.1:" + com.vangoframework.rhone.testing.ChildProcesses.freePort() + "/repo.git";
        assertThat(assertOneSentenceNaming(url, "check the URL")).contains("Connection refused");
    }

    /** The clone fails with a BuildFailure whose message is one line naming the URL and the hint. */
    private String assertOneSentenceNaming(String url, String hint) throws Exception {
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> anonymous().checkout(
                    withUrl(step.app, url), step.deployment, dir.resolve("src-" + System.nanoTime()), Optional.empty(),
                    log, step.ctx));
            assertThat(e).isInstanceOf(BuildFailure.class);
            assertThat(e.getMessage()).contains(url).contains(hint).doesNotContain("\n")
                    .doesNotContain("internal error");
            return e.getMessage();
        }
    }

    /** A repository with one commit, and a bare copy of it ready for a plain file server. */
    private String commitAndServe(String message) throws Exception {
        String sha;
        try (TestRepo repo = new TestRepo(dir.resolve("repos/web"))) {
            sha = repo.commit(message, Map.of("README", "hi\n"));
        }
        Path bare = dir.resolve("bare.git");
        assertThat(new ProcessBuilder("git", "clone", "-q", "--bare", "--no-local", dir.resolve("repos/web").toString(),
                bare.toString()).inheritIO().start().waitFor()).isZero();
        assertThat(new ProcessBuilder("git", "-C", bare.toString(), "update-server-info").inheritIO().start()
                .waitFor()).isZero();
        return sha;
    }

    private static GitCheckout anonymous() {
        return new GitCheckout(a -> Optional.empty(), "https://github.com", Duration.ofMinutes(1));
    }

    private static App withUrl(App app, String url) {
        return new App(app.id(), app.teamId(), app.slug(), null, null, url, app.branch(), app.buildTimeoutSeconds(),
                app.createdAt(), app.forkPullRequests(), app.pullRequestSecrets());
    }

    private static String stackText(Throwable e) {
        java.io.StringWriter out = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
