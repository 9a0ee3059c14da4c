package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProcessRunnerTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private final ProcessRunner runner = new ProcessRunner();

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
                        "XDG_RUNTIME_DIR", "PWD", "SHLVL", "_").contains(name));
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
