package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.testing.BuildingService;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestRepo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NUL bytes from a build, through the whole service (real JGit smart-HTTP server, the local
 * Docker engine and registry, real PostgreSQL, whose {@code text} refuses U+0000): the log keeps
 * every line after them and the build is recorded as built, not run again.
 */
@NeedsDocker
class NulOutputBuildTest {

    static final int LINES = 200_000;

    @TempDir
    static Path dir;

    static BuildingService building;
    static Fixtures fx;
    static LogStore logs;

    @BeforeAll
    static void start() throws Exception {
        building = BuildingService.start(dir);
        fx = building.fx;
        logs = building.logs;
    }

    @AfterAll
    static void stop() throws Exception {
        building.close();
    }

    @Test
    void nulBytesInTheOutputAndTheCommit_thenManyLines_everyLineAfterIsStored_andTheBuildEndsBuilt() throws Exception {
        String name = "nul-" + UUID.randomUUID().toString().substring(0, 8);
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            // The nonce keeps the engine's cache (which outlives test runs) from skipping the RUN.
            // BuildKit clips a step's output past 200 KiB/s ("[output clipped, log limit 200KiB/s
            // reached]"), so the numbers come in 40 paced batches of 5,000 (about 140 KiB/s).
            repo.commit("nul\0in the message", Map.of("Dockerfile", "FROM local/busybox:1\n"
                    + "RUN echo " + UUID.randomUUID() + " && printf 'before\\0after\\n\\0\\0\\n'"
                    + " && for i in $(seq 0 39); do seq $((i * 5000 + 1)) $((i * 5000 + 5000)); sleep 0.25; done\n"));
        }
        App app = fx.gitApp(fx.team("nul"), name, building.git.url(name), 900);
        Deployment d = new DeploymentService(building.jdbi).request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        String log = logs.read(d.id());

        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + tail(log)).isEqualTo(DeploymentStatus.BUILT);
        assertThat(done.attempt()).as("the build ran once").isEqualTo(1);
        assertThat(done.commitMessage()).isEqualTo("nul\u2400in the message");
        assertThat(log).contains("before\u2400after").doesNotContain("\0")
                .doesNotContain("could not be stored").doesNotContain("log truncated").doesNotContain("output clipped")
                .contains("Pushed " + done.imageTag());
        assertThat(numbersAfterTheNul(log)).as("the numbered lines printed after the NUL bytes")
                .hasSize(LINES).isSorted().startsWith(1).endsWith(LINES);
    }

    /** The numbers {@code seq} printed, in log order, as BuildKit prefixes them ("#7 1.234 42"). */
    private static List<Integer> numbersAfterTheNul(String log) {
        Pattern numbered = Pattern.compile("^\\S+ #\\d+ \\d+\\.\\d+ (\\d+)$");
        return log.lines().map(numbered::matcher).filter(Matcher::matches)
                .map(m -> Integer.parseInt(m.group(1))).toList();
    }

    private static String tail(String log) {
        return log.length() < 4000 ? log : log.substring(log.length() - 4000);
    }
}
