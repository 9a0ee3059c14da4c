package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.FakeBin;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Railpack at its boundary: the command line, the info and plan files, and its failures. */
class RailpackAnalyzerTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private RailpackAnalyzer analyzer(String binary) {
        return new RailpackAnalyzer(binary, new ProcessRunner(dir.resolve("idle-home")), json, Duration.ofMinutes(1));
    }

    @Test
    void prepareCommand_isExactlyRailpacksContract() {
        assertThat(analyzer("/opt/railpack").prepareCommand(Path.of("/w/src"), Path.of("/w/plan")))
                .containsExactly("/opt/railpack", "prepare", "/w/src", "--plan-out", "/w/plan/railpack-plan.json",
                        "--info-out", "/w/plan/railpack-info.json");
    }

    @Test
    void successfulInfo_parsesProvidersAndLogs() throws Exception {
        Path file = dir.resolve("info.json");
        Files.writeString(file, """
                {"railpackVersion":"0.37.0","detectedProviders":["node","staticfile"],
                 "resolvedPackages":{"node":{"name":"node","requestedVersion":"22","resolvedVersion":"22.11.0","source":"default"}},
                 "metadata":{"nodePackageManager":"npm"},
                 "logs":[{"Level":"info","Msg":"Using npm","DocsPath":""}],"success":true}""");
        RailpackInfo info = RailpackInfo.read(file, json);
        assertThat(info.success()).isTrue();
        assertThat(info.detectedProviders()).containsExactly("node", "staticfile");
        assertThat(info.logs()).containsExactly(new RailpackInfo.Entry("info", "Using npm"));
        assertThat(info.errors()).isEmpty();
    }

    @Test
    void failedInfo_hasOnlyLogs_andItsErrorsAreKeptVerbatim() throws Exception {
        Path file = dir.resolve("info.json");
        Files.writeString(file, """
                {"logs":[{"Level":"warn","Msg":"no lockfile"},{"Level":"error","Msg":"No start command was found.\\nSee https://railpack.com/config"}],
                 "success":false}""");
        RailpackInfo info = RailpackInfo.read(file, json);
        assertThat(info.success()).isFalse();
        assertThat(info.detectedProviders()).isEmpty();
        assertThat(info.errors()).isEqualTo("No start command was found.\nSee https://railpack.com/config");
    }

    @Test
    void dockerfileSymlinkedOutOfTheCheckout_isRefused_neitherReadNorHandedToRailpack() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(dir.resolve("secret.key"), "MARKER-analyzer\n");
        Files.createSymbolicLink(src.resolve("Dockerfile"), Path.of("../secret.key"));
        Path called = dir.resolve("railpack-was-called");
        Path railpack = dir.resolve("bin/railpack");
        Files.createDirectories(railpack.getParent());
        Files.writeString(railpack, "#!/bin/sh\ntouch " + called + "\nexit 1\n");
        assertThat(railpack.toFile().setExecutable(true)).isTrue();
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> analyzer(railpack.toString()).analyze(src, dir.resolve("plan"), log, step.ctx))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessage("Dockerfile is a symlink to ../secret.key, outside the repository");
        }
        assertThat(called).doesNotExist();
        assertThat(step.storedLog()).doesNotContain("MARKER-analyzer");
    }

    @Test
    void dockerfileSymlinkedInsideTheCheckout_buildsWithTheDockerfileFrontend() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = Files.createDirectories(dir.resolve("src/docker"));
        Files.writeString(src.resolve("Dockerfile.prod"), "FROM scratch\n");
        Files.createSymbolicLink(dir.resolve("src/Dockerfile"), Path.of("docker/Dockerfile.prod"));
        try (BuildLog log = step.log(List.of())) {
            BuildPlan plan = analyzer("/nonexistent/railpack").analyze(dir.resolve("src"), dir.resolve("plan"), log,
                    step.ctx);
            assertThat(plan.kind()).isEqualTo(BuildPlan.Kind.DOCKERFILE);
        }
        assertThat(step.storedLog()).contains("Detected: Dockerfile (a symlink to docker/Dockerfile.prod)");
    }

    @Test
    void dockerfileThatIsADirectoryOrALinkToOne_isNotADockerfile() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = Files.createDirectories(dir.resolve("src/Dockerfile.d"));
        Files.createSymbolicLink(dir.resolve("src/Dockerfile"), Path.of("Dockerfile.d"));
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> analyzer("/nonexistent/railpack").analyze(dir.resolve("src"), dir.resolve("plan"),
                    log, step.ctx)).isInstanceOf(BuildFailure.class).hasMessage(RailpackAnalyzer.NOT_INSTALLED);
        }
    }

    @Test
    void dockerfileAtTheRoot_winsWithoutRunningRailpack() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM scratch\n");
        try (BuildLog log = step.log(List.of())) {
            BuildPlan plan = analyzer("/nonexistent/railpack").analyze(src, dir.resolve("plan"), log, step.ctx);
            assertThat(plan.kind()).isEqualTo(BuildPlan.Kind.DOCKERFILE);
            assertThat(plan.planFile()).isEqualTo(src.resolve("Dockerfile"));
        }
        assertThat(step.storedLog()).contains("Detected: Dockerfile");
    }

    @Test
    void railpackPlan_isUsed_andDetectedProvidersAreLogged() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path railpack = FakeBin.install("railpack", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("package.json"), "{}\n");
        BuildPlan plan;
        try (BuildLog log = step.log(List.of())) {
            plan = analyzer(railpack.toString()).analyze(src, dir.resolve("plan"), log, step.ctx);
        }
        assertThat(plan.kind()).isEqualTo(BuildPlan.Kind.RAILPACK);
        assertThat(plan.contextDir()).isEqualTo(src);
        assertThat(plan.planFile()).isEqualTo(dir.resolve("plan/railpack-plan.json")).isRegularFile();
        assertThat(step.storedLog()).contains("railpack 0.37.0 analysing " + src).contains("Detected: node");
    }

    @Test
    void railpackFailure_reachesTheUserVerbatim() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path railpack = FakeBin.install("railpack", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("FAIL"), "");
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> analyzer(railpack.toString()).analyze(src, dir.resolve("plan"), log, step.ctx))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessage("railpack could not build a plan: No start command was found");
        }
    }

    @Test
    void railpackMissing_saysSoAndSuggestsADockerfile() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = Files.createDirectories(dir.resolve("src"));
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> analyzer(dir.resolve("no-such-railpack").toString())
                    .analyze(src, dir.resolve("plan"), log, step.ctx))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessage("railpack is not installed on this builder: install it or add a Dockerfile");
        }
    }
}
