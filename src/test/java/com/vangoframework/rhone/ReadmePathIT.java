package com.vangoframework.rhone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.Newcomer;
import com.vangoframework.rhone.testing.TestRepo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's path as a newcomer walks it: the packaged service on its embedded defaults, the
 * CLI lines as printed, a deploy through the API of a repository with a Dockerfile, built by the
 * local Docker engine and pushed to the local registry (ops/setup-local-builder must have run).
 * Every test here uses relative paths the way the README does; none hands the service an
 * absolute temporary directory.
 */
class ReadmePathIT {

    private static final Path PROJECT = Path.of("").toAbsolutePath();
    private static final Duration BUILD_LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    @Test
    void packagedService_withARelativeDataDir_startedFromAnotherDirectory_buildsADockerfileApp() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Path repo = dockerfileRepo("relative");
        String jar = PROJECT.resolve("target/rhone.jar").toString();
        String config = PROJECT.resolve("config.yml").toString();
        int port = ChildProcesses.freePort();
        try (Newcomer me = new Newcomer(elsewhere, tmp.resolve("logs"))) {
            me.env("RHONE_DATA_DIR", "state/rhone") // relative: resolved against `elsewhere`
                    .env("RHONE_PORT", String.valueOf(port))
                    .env("RHONE_ADMIN_PORT", String.valueOf(ChildProcesses.freePort()));
            Path out = me.startInBackground("service", java(), "-jar", jar, "server", config).log();
            Newcomer.awaitLine(out, "rhone is up", Duration.ofMinutes(2));

            me.ok(java(), "-jar", jar, "create-team", "--slug", "acme", "--name", "Acme Inc", config);
            me.ok(java(), "-jar", jar, "create-app", "--team", "acme", "--slug", "relative", "--git-url",
                    repo.toUri().toString(), "--branch", "main", config);
            String token = me.ok(java(), "-jar", jar, "create-token", "--team", "acme", config);

            String api = "http://127.0.0.1:" + port;
            long id = me.deploy(api, token, "relative");
            JsonNode d = me.awaitFinished(api, token, "relative", id, BUILD_LIMIT);
            assertThat(d.get("status").asText()).as(me.log(api, token, "relative", id)).isEqualTo("built");
            assertPushed(d);
            // The data dir is where the README says, relative to where the service started; the
            // work directory is builds/ beside it (not inside it, next to secret.key), and the
            // build's own directory there is gone.
            assertThat(elsewhere.resolve("state/rhone/postgres")).isDirectory();
            assertThat(elsewhere.resolve("state/rhone/builds")).doesNotExist();
            try (Stream<Path> left = Files.list(elsewhere.resolve("builds"))) {
                assertThat(left).isEmpty();
            }
        }
    }

    @Test
    void runLocal_fromAFreshCopyOfTheRepository_deploysOnceWithTheReadmeCommands() throws Exception {
        Path clone = freshCopy(tmp.resolve("rhone"));
        Path repo = dockerfileRepo("web");
        int port = ChildProcesses.freePort();
        try (Newcomer me = new Newcomer(clone, tmp.resolve("logs"))) {
            me.env("RHONE_PORT", String.valueOf(port)).env("RHONE_ADMIN_PORT", String.valueOf(ChildProcesses.freePort()));
            // README: "ops/setup-local-builder && ops/run-local" (the builder is set up by .ci/run already).
            Path out = me.startInBackground("run-local", "ops/run-local").log();
            Newcomer.awaitLine(out, "rhone is up", Duration.ofMinutes(6)); // includes the first Maven build

            // README, Dashboard: the CLI lines as printed there, with a local repository's URL.
            me.ok("java", "-jar", "target/rhone.jar", "create-team", "--slug", "acme", "--name", "Acme", "config.yml");
            me.ok("java", "-jar", "target/rhone.jar", "create-app", "--team", "acme", "--slug", "web", "--git-url",
                    repo.toUri().toString(), "--branch", "main", "config.yml");
            String token = me.ok("java", "-jar", "target/rhone.jar", "create-token", "--team", "acme", "config.yml");

            String api = "http://127.0.0.1:" + port;
            long id = me.deploy(api, token, "web");
            JsonNode d = me.awaitFinished(api, token, "web", id, BUILD_LIMIT);
            assertThat(d.get("status").asText()).as(me.log(api, token, "web", id)).isEqualTo("built");
            assertPushed(d);
            assertThat(clone.resolve("var/postgres")).isDirectory();
            assertThat(clone.resolve("var/builds")).doesNotExist();
            try (Stream<Path> left = Files.list(clone.resolve("builds"))) {
                assertThat(left).as("work directories left in builds/").isEmpty();
            }
        }
    }

    /** A repository with a Dockerfile on the local base image, a fresh commit each time. */
    private Path dockerfileRepo(String name) throws Exception {
        Path dir = tmp.resolve("repos").resolve(name);
        try (TestRepo repo = new TestRepo(dir)) {
            repo.commit("first commit of " + name, Map.of("Dockerfile",
                    "FROM local/busybox:1\nRUN echo " + name + " " + System.nanoTime() + " > /hello\n"));
        }
        return dir;
    }

    /** The image is in the registry under the tag and digest the deployment reports. */
    private static void assertPushed(JsonNode d) throws IOException, InterruptedException {
        String tag = d.get("image_tag").asText();
        String registry = tag.substring(0, tag.indexOf('/'));
        String name = tag.substring(tag.indexOf('/') + 1, tag.lastIndexOf(':'));
        String reference = tag.substring(tag.lastIndexOf(':') + 1);
        HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://" + registry + "/v2/" + name + "/manifests/" + reference))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/vnd.docker.distribution.manifest.v2+json").build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(d.get("image_digest").asText());
    }

    /**
     * A throwaway copy of this repository as a clone would have it: the files git knows (tracked
     * and new, not ignored), as they are in the working tree, with no target/ and no var/.
     */
    private static Path freshCopy(Path to) throws Exception {
        Process ls = new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
                .directory(PROJECT.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String listing = new String(ls.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(ls.waitFor()).isZero();
        for (String file : List.of(listing.split("\0"))) {
            Path source = PROJECT.resolve(file);
            if (file.isEmpty() || !Files.isRegularFile(source)) {
                continue; // deleted in the working tree, not yet committed
            }
            Path target = to.resolve(file);
            Files.createDirectories(target.getParent());
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
        assertThat(to.resolve("target")).doesNotExist();
        return to;
    }

    private static String java() {
        return System.getProperty("rhone.test.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
