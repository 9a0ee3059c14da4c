package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.GitServer;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository's symbolic links and size, against a real smart-HTTP git server: what escapes the
 * checkout or is over a cap fails with one sentence before the commit's files are written.
 */
class CheckoutContainmentTest {

    private static final String TOKEN = "ghs_containmentTestToken0123456789";

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private GitServer server;
    private Path secret;
    private String marker;

    @BeforeEach
    void start() throws Exception {
        server = new GitServer(Files.createDirectories(dir.resolve("repos")), TOKEN);
        // A file of the builder host the repositories below point at; its bytes must never show up.
        marker = "MARKER-" + UUID.randomUUID();
        secret = Files.writeString(dir.resolve("secret.key"), marker + "\n");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void dockerfileSymlinkedToAnAbsoluteHostPath_failsNamingIt_beforeAnyFileIsWritten() throws Exception {
        Failure f = checkout(Map.of("README", "hi\n"), Map.of("Dockerfile", secret.toString()));
        assertThat(f.message()).isEqualTo("Dockerfile is a symlink to " + secret + ", outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void dockerfileSymlinkedUpAndOutRelatively_failsNamingIt() throws Exception {
        // The checkout is <dir>/src-<name>: ../secret.key is the host file beside it.
        Failure f = checkout(Map.of("README", "hi\n"), Map.of("Dockerfile", "../secret.key"));
        assertThat(f.message()).isEqualTo("Dockerfile is a symlink to ../secret.key, outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void nestedSymlinkClimbingOut_failsNamingItsPath() throws Exception {
        Failure f = checkout(Map.of("index.html", "<h1>hi</h1>\n"),
                Map.of("sub/dir/link", "../../../secret.key"));
        assertThat(f.message()).isEqualTo("sub/dir/link is a symlink to ../../../secret.key, outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void chainThroughAnInTreeLink_thatLooksInsideWrittenOut_butLeadsOut_fails() throws Exception {
        // Read as text, sub/dir/b names sub/secret.key; followed, a is the root, so b is ../secret.key.
        Failure f = checkout(Map.of("sub/dir/file", "x\n"),
                Map.of("sub/dir/a", "../..", "sub/dir/b", "a/../secret.key"));
        assertThat(f.message()).isEqualTo("sub/dir/b is a symlink to a/../secret.key, outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void directorySymlinkedOutside_fails() throws Exception {
        Failure f = checkout(Map.of("README", "hi\n"), Map.of("vendor", dir.toString()));
        assertThat(f.message()).isEqualTo("vendor is a symlink to " + dir + ", outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void symlinkLoop_failsWithOneSentence() throws Exception {
        Failure f = checkout(Map.of("README", "hi\n"), Map.of("a", "b", "b", "a"));
        assertThat(f.message()).startsWith("a symlink chain in the repository is more than 40 links deep");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void symlinkTargetWithAnEscapeSequenceAndANewline_isNamedOnOneLine() throws Exception {
        Failure f = checkout(Map.of("README", "hi\n"), Map.of("odd", "../\u001b[31mred\nsecret.key"));
        assertThat(f.message()).isEqualTo("odd is a symlink to ../\\u001b[31mred\\u000asecret.key, outside the repository");
        f.assertNothingCheckedOutOrLeaked();
    }

    @Test
    void symlinksThatStayInsideTheTree_areCheckedOutAsLinks() throws Exception {
        String name = "inside-" + UUID.randomUUID().toString().substring(0, 8);
        repo(name, Map.of("docker/Dockerfile.prod", "FROM local/busybox:1\n", "sub/dir/file", "x\n"),
                Map.of("Dockerfile", "docker/Dockerfile.prod", "conf", "docker", "sub/dir/up", "../../docker",
                        "here", ".", "sub/dir/a", "../..", "sub/dir/b", "a/docker/Dockerfile.prod",
                        "dangling", "nothing/here"));
        Path src = dir.resolve("src-" + name);
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            git(CheckoutGuard.Limits.DEFAULT).checkout(withUrl(step.app, server.url(name)), step.deployment, src,
                    Optional.of(TOKEN), log, step.ctx);
        }
        assertThat(Files.isSymbolicLink(src.resolve("Dockerfile"))).isTrue();
        assertThat(Files.readSymbolicLink(src.resolve("Dockerfile"))).hasToString("docker/Dockerfile.prod");
        assertThat(src.resolve("conf/Dockerfile.prod")).hasContent("FROM local/busybox:1");
        assertThat(src.resolve("sub/dir/b")).hasContent("FROM local/busybox:1");
    }

    @Test
    void repositoryOverTheByteCap_failsBeforeTheWorkingTreeIsWritten() throws Exception {
        String name = "big-" + UUID.randomUUID().toString().substring(0, 8);
        // 8 MiB of one letter: a pack of a few KiB that would fill 8 MiB on disk.
        String sha = repo(name, Map.of("big.bin", "a".repeat(8 * 1024 * 1024), "README", "hi\n"), Map.of());
        Path src = dir.resolve("src-" + name);
        Throwable e = checkoutInto(name, src, new CheckoutGuard.Limits(1024 * 1024, 1000));
        assertThat(e).isInstanceOf(BuildFailure.class).hasMessage("the repository at " + sha.substring(0, 12)
                + " holds 8.0 MiB in 2 files, over this builder's checkout limit of 1 MiB (RHONE_CHECKOUT_MAX_BYTES)");
        assertThat(src.resolve("big.bin")).doesNotExist();
        assertThat(onDisk(src)).as("bytes written for the checkout").isLessThan(256 * 1024);
    }

    @Test
    void repositoryOverTheFileCap_failsBeforeTheWorkingTreeIsWritten() throws Exception {
        String name = "many-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> files = new java.util.HashMap<>();
        for (int i = 0; i < 60; i++) {
            files.put("f/" + i + ".txt", "file " + i + "\n");
        }
        String sha = repo(name, files, Map.of());
        Path src = dir.resolve("src-" + name);
        Throwable e = checkoutInto(name, src, new CheckoutGuard.Limits(1024 * 1024, 50));
        assertThat(e).isInstanceOf(BuildFailure.class).hasMessage("the repository at " + sha.substring(0, 12)
                + " holds more than 50 files, over this builder's checkout limit of 50 files (RHONE_CHECKOUT_MAX_FILES)");
        assertThat(src.resolve("f")).doesNotExist();
    }

    @Test
    void repositoryAtTheCaps_isCheckedOut() throws Exception {
        String name = "exact-" + UUID.randomUUID().toString().substring(0, 8);
        repo(name, Map.of("a", "1234", "b", "5678"), Map.of());
        Path src = dir.resolve("src-" + name);
        assertThat(checkoutInto(name, src, new CheckoutGuard.Limits(8, 2))).isNull();
        assertThat(src.resolve("b")).hasContent("5678");
    }

    @Test
    void workingTreeCheck_findsALinkOutOfAHandMadeTree_withoutFollowingIt() throws Exception {
        Path root = Files.createDirectories(dir.resolve("made/src"));
        Files.createDirectories(root.resolve("docker"));
        Files.writeString(root.resolve("docker/Dockerfile"), "FROM scratch\n");
        Files.createSymbolicLink(root.resolve("Dockerfile"), Path.of("docker/Dockerfile"));
        Files.createSymbolicLink(root.resolve("missing"), Path.of("no/such/file"));
        assertThat(CheckoutGuard.checkWorkingTree(root)).isEqualTo(2);

        Files.createDirectories(root.resolve("deep/er"));
        Files.createSymbolicLink(root.resolve("deep/er/key"), Path.of("../../../../secret.key"));
        assertThat(catchThrowable(() -> CheckoutGuard.checkWorkingTree(root))).isInstanceOf(BuildFailure.class)
                .hasMessage("deep/er/key is a symlink to ../../../../secret.key, outside the repository");
        Files.delete(root.resolve("deep/er/key"));
        Files.createSymbolicLink(root.resolve("deep/er/abs"), secret);
        assertThat(catchThrowable(() -> CheckoutGuard.checkWorkingTree(root))).isInstanceOf(BuildFailure.class)
                .hasMessage("deep/er/abs is a symlink to " + secret + ", outside the repository");
    }

    /** The failed checkout: its sentence, and what it left in the checkout directory and the log. */
    private record Failure(String message, Path src, String storedLog, String marker) {
        void assertNothingCheckedOutOrLeaked() throws Exception {
            assertThat(message).doesNotContain("\n").doesNotContain(marker);
            assertThat(storedLog).doesNotContain(marker);
            try (Stream<Path> entries = Files.list(src)) {
                assertThat(entries.map(p -> p.getFileName().toString())).as("written into the checkout")
                        .containsExactly(".git");
            }
        }
    }

    private Failure checkout(Map<String, String> files, Map<String, String> links) throws Exception {
        String name = "repo-" + UUID.randomUUID().toString().substring(0, 8);
        repo(name, files, links);
        Path src = dir.resolve("src-" + name);
        StepFixture step = new StepFixture(threads);
        Throwable e;
        try (BuildLog log = step.log(List.of())) {
            e = catchThrowable(() -> git(CheckoutGuard.Limits.DEFAULT).checkout(withUrl(step.app, server.url(name)),
                    step.deployment, src, Optional.of(TOKEN), log, step.ctx));
            if (e != null) {
                log.line("error: " + e.getMessage()); // as ImagePipeline records it
            }
        }
        assertThat(e).isInstanceOf(BuildFailure.class);
        return new Failure(e.getMessage(), src, step.storedLog(), marker);
    }

    private Throwable checkoutInto(String name, Path src, CheckoutGuard.Limits limits) throws Exception {
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            return catchThrowable(() -> git(limits).checkout(withUrl(step.app, server.url(name)), step.deployment, src,
                    Optional.of(TOKEN), log, step.ctx));
        }
    }

    /** A repository served by the git server with one commit of these files and symbolic links. */
    private String repo(String name, Map<String, String> files, Map<String, String> links) throws Exception {
        Path repoDir = dir.resolve("repos").resolve(name);
        try (TestRepo repo = new TestRepo(repoDir)) {
            for (var link : links.entrySet()) {
                Path at = repoDir.resolve(link.getKey());
                Files.createDirectories(at.getParent());
                Files.createSymbolicLink(at, Path.of(link.getValue()));
            }
            return repo.commit("with links", files);
        }
    }

    private static long onDisk(Path root) throws Exception {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static GitCheckout git(CheckoutGuard.Limits limits) {
        return new GitCheckout(a -> Optional.of(TOKEN), "https://github.com", Duration.ofMinutes(1), limits);
    }

    private static App withUrl(App app, String url) {
        return new App(app.id(), app.teamId(), app.slug(), null, null, url, app.branch(), app.buildTimeoutSeconds(),
                app.createdAt(), app.forkPullRequests(), app.pullRequestSecrets());
    }
}
