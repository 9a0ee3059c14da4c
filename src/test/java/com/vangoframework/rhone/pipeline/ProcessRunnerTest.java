package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProcessRunnerTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private ProcessRunner runner;

    @BeforeEach
    void setUp() {
        runner = new ProcessRunner(dir.resolve("idle-home"));
    }

    /** A runner whose "service environment" has a HOME of the test's own, with docker credentials in it. */
    private ProcessRunner runnerOfAServiceWithDockerLogins(Path serviceHome) throws Exception {
        Files.createDirectories(serviceHome.resolve(".docker"));
        Files.writeString(serviceHome.resolve(".docker/config.json"),
                "{\"auths\":{\"registry.example\":{\"auth\":\"c2VydmljZS1sb2dpbg==\"}}}");
        return new ProcessRunner(dir.resolve("idle-home"), Map.of("PATH", System.getenv("PATH"),
                "HOME", serviceHome.toString(), "XDG_RUNTIME_DIR", "/run/user/4242", "DATABASE_PASSWORD", "pw"));
    }

    private static final String SHOW_HOME = "env; echo \"mode=$(stat -c %a \"$HOME\")\"; "
            + "cat \"$HOME/.docker/config.json\" 2>/dev/null || echo no-docker-config";

    private static ProcessRunner.Command command(Duration timeout, String... args) {
        return new ProcessRunner.Command(List.of(args), Path.of("."), Map.of("ONLY_THIS", "yes"), timeout);
    }

    private static boolean anyProcess(String marker) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(marker));
    }

    @Test
    void outputIsStreamedLineByLine_andTheEnvironmentIsClean() throws Exception {
        StepFixture step = new StepFixture(threads);
        List<String> lines = new CopyOnWriteArrayList<>();
        int exit = runner.run(command(Duration.ofSeconds(10), "/bin/sh", "-c", "echo one; echo two >&2; env; exit 4"),
                lines::add, step.ctx);
        assertThat(exit).isEqualTo(4);
        assertThat(lines).startsWith("one", "two").contains("ONLY_THIS=yes");
        // Nothing of the service's own environment leaks in beyond the pass-through list.
        assertThat(lines.stream().filter(l -> l.contains("=")).map(l -> l.substring(0, l.indexOf('='))))
                .allMatch(name -> List.of("ONLY_THIS", "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOCKER_HOST",
                        "PWD", "SHLVL", "_").contains(name));
    }

    @Test
    void aProgramPrintingFiftyMegabytesWithoutANewline_isReadWithABound_andItsNextLinesArrive() throws Exception {
        StepFixture step = new StepFixture(threads);
        List<String> lines = new CopyOnWriteArrayList<>();
        // awk writes 50,000,000 characters in pieces (it holds none of them whole), then two lines.
        String program = "BEGIN { s = sprintf(\"%1000s\", \"\"); gsub(/ /, \"a\", s);"
                + " for (i = 0; i < 50000; i++) printf \"%s\", s; print \"\"; print \"after\"; print \"done\" }";
        int exit = runner.run(command(Duration.ofMinutes(2), "awk", program), lines::add, step.ctx);
        assertThat(exit).isZero();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).hasSize(ProcessRunner.MAX_LINE_CHARS
                + BoundedLineReader.marker(ProcessRunner.MAX_LINE_CHARS).length())
                .startsWith("aaaa").endsWith(BoundedLineReader.marker(ProcessRunner.MAX_LINE_CHARS));
        assertThat(lines.subList(1, 3)).containsExactly("after", "done");
    }

    @Test
    void aBuildsProgram_getsAPrivateHomeInItsWorkDir_neverTheServicesHomeOrRuntimeDir() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path serviceHome = dir.resolve("service-home");
        Path work = Files.createDirectories(dir.resolve("builds/deployment-1-x"));
        List<String> lines = new CopyOnWriteArrayList<>();
        int exit = runnerOfAServiceWithDockerLogins(serviceHome).run(new ProcessRunner.Command(
                List.of("/bin/sh", "-c", SHOW_HOME), work, Map.of(), Duration.ofSeconds(10),
                ProcessRunner.homeIn(work)), lines::add, step.ctx);
        assertThat(exit).isZero();
        assertThat(lines).contains("HOME=" + work.resolve("home"), "mode=700", "no-docker-config")
                .noneMatch(line -> line.startsWith("XDG_RUNTIME_DIR="))
                .noneMatch(line -> line.contains(serviceHome.toString()))
                .noneMatch(line -> line.contains("c2VydmljZS1sb2dpbg"))
                .noneMatch(line -> line.startsWith("DATABASE_PASSWORD="));
    }

    @Test
    void aCallersEnvironment_cannotPutTheServicesHomeOrRuntimeDirBack() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path serviceHome = dir.resolve("service-home");
        Path work = Files.createDirectories(dir.resolve("builds/deployment-2-x"));
        List<String> lines = new CopyOnWriteArrayList<>();
        runnerOfAServiceWithDockerLogins(serviceHome).run(new ProcessRunner.Command(List.of("/bin/sh", "-c", SHOW_HOME),
                work, Map.of("HOME", serviceHome.toString(), "XDG_RUNTIME_DIR", "/run/user/4242"),
                Duration.ofSeconds(10), ProcessRunner.homeIn(work)), lines::add, step.ctx);
        assertThat(lines).contains("HOME=" + work.resolve("home"), "no-docker-config")
                .noneMatch(line -> line.startsWith("XDG_RUNTIME_DIR="));
    }

    @Test
    void aProgramOfNoBuild_getsTheRunnersEmptyHome() throws Exception {
        Path serviceHome = dir.resolve("service-home");
        Path out = dir.resolve("env.txt");
        int exit = runnerOfAServiceWithDockerLogins(serviceHome).runInBackground(new ProcessRunner.Command(
                List.of("/bin/sh", "-c", "(" + SHOW_HOME + ") >" + out), null, Map.of(), Duration.ofSeconds(10)))
                .get(10, TimeUnit.SECONDS);
        assertThat(exit).isZero();
        assertThat(Files.readAllLines(out)).contains("HOME=" + dir.resolve("idle-home"), "mode=700", "no-docker-config")
                .noneMatch(line -> line.contains(serviceHome.toString()));
    }

    @Test
    void aHomePathTakenByAFile_isRefused_notUsed() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path work = Files.createDirectories(dir.resolve("builds/deployment-3-x"));
        Files.writeString(work.resolve("home"), "not a directory");
        assertThatThrownBy(() -> runner.run(new ProcessRunner.Command(List.of("/bin/true"), work, Map.of(),
                Duration.ofSeconds(5), ProcessRunner.homeIn(work)), line -> { }, step.ctx))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("not a directory");
    }

    @Test
    void abort_killsTheWholeProcessTree() throws Exception {
        StepFixture step = new StepFixture(threads);
        String marker = "sleep " + (3000 + (int) (Math.random() * 1000));
        var pool = Executors.newSingleThreadExecutor();
        var running = pool.submit(() -> runner.run(command(Duration.ofMinutes(5), "/bin/sh", "-c",
                "(" + marker + ") & " + marker + "; wait"), line -> { }, step.ctx));
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(marker)).count() >= 2);
        step.ctx.abort(BuildContext.AbortReason.CANCELLED);
        assertThatThrownBy(() -> running.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(BuildContext.BuildAbortedException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> !anyProcess(marker));
        pool.shutdown();
    }

    @Test
    void pastItsTimeLimit_theProgramIsKilledAndTheBuildFails() throws Exception {
        StepFixture step = new StepFixture(threads);
        String marker = "sleep " + (4000 + (int) (Math.random() * 1000));
        assertThatThrownBy(() -> runner.run(command(Duration.ofMillis(500), "/bin/sh", "-c", marker),
                line -> { }, step.ctx)).isInstanceOf(BuildFailure.class).hasMessageContaining("did not finish within");
        await().atMost(Duration.ofSeconds(5)).until(() -> !anyProcess(marker));
    }

    @Test
    void missingProgram_isReportedAsNotInstalled() throws Exception {
        StepFixture step = new StepFixture(threads);
        assertThatThrownBy(() -> runner.run(command(Duration.ofSeconds(5), "/no/such/" + UUID.randomUUID()),
                line -> { }, step.ctx)).isInstanceOf(ProcessRunner.NotInstalled.class);
    }

    @Test
    void backgroundHousekeeping_reportsItsExitCode_andIsKilledPastItsTimeLimit() throws Exception {
        assertThat(runner.runInBackground(command(Duration.ofSeconds(10), "/bin/sh", "-c", "exit 3"))
                .get(10, TimeUnit.SECONDS)).isEqualTo(3);
        String marker = "sleep " + (5000 + (int) (Math.random() * 1000));
        var slow = runner.runInBackground(command(Duration.ofMillis(300), "/bin/sh", "-c", marker));
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !anyProcess(marker));
    }
}
