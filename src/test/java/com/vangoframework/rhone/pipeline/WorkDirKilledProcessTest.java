package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.NeedsChildProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes as separate processes on one machine and one work root: a build's lock keeps its directory
 * from every other node's sweeper while the build's process lives, and kill -9 releases it.
 */
@NeedsChildProcesses
class WorkDirKilledProcessTest {

    @TempDir
    Path dir;

    private Process child;

    @AfterEach
    void killChild() throws Exception {
        if (child != null) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process start(String name, String... args) throws Exception {
        return ChildProcesses.java(dir.resolve(name + ".log"), List.of(), WorkDirChild.class.getName(), args);
    }

    private String log(String name) throws Exception {
        Path log = dir.resolve(name + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private WorkDirSweeper sweeper(Path root) {
        return new WorkDirSweeper(root, Duration.ofMinutes(10), Clock.systemUTC());
    }

    @Test
    void anotherProcessesBuild_isLeftAlone_untilThatProcessIsKilledWithMinus9() throws Exception {
        Path root = Files.createDirectories(dir.resolve("builds"));
        child = start("holder", "hold", root.toString(), "21");
        await().atMost(Duration.ofSeconds(20)).until(() -> log("holder").contains("holding "));
        Path held = Path.of(log("holder").lines().filter(l -> l.startsWith("holding ")).findFirst().orElseThrow()
                .substring("holding ".length()));
        Files.setLastModifiedTime(held, java.nio.file.attribute.FileTime.fromMillis(0)); // old: only the lock counts

        assertThat(sweeper(root).sweep()).isEmpty();
        assertThat(held.resolve(WorkDir.LOCK_FILE)).exists();

        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no finally, no shutdown hook
        assertThat(held).exists();
        assertThat(sweeper(root).sweep()).containsExactly(held.getFileName().toString());
        assertThat(held).doesNotExist();
    }

    @Test
    void aSweepInThisProcess_keepsTheLockOfABuildHere_forOtherProcesses() throws Exception {
        Path root = Files.createDirectories(dir.resolve("builds"));
        try (WorkDir building = WorkDir.claim(root, 22)) {
            Files.setLastModifiedTime(building.path(), java.nio.file.attribute.FileTime.fromMillis(0));
            // A second node in this JVM sweeps the same root (through a link to it): were it to open the
            // build's lock file and close it again, the kernel would drop this process's lock.
            assertThat(sweeper(Files.createSymbolicLink(dir.resolve("builds-link"), root)).sweep()).isEmpty();

            child = start("sweeper", "sweep", root.toString());
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(log("sweeper")).contains("removed []");
            assertThat(building.path().resolve(WorkDir.LOCK_FILE)).exists();
        }
    }
}
