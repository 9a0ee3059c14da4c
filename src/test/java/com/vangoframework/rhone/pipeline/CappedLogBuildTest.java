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
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long failing build through the whole service (real JGit smart-HTTP server, the local Docker
 * engine's BuildKit, real PostgreSQL) with a small log cap: the log keeps its first lines, says how
 * many it left out, and keeps the last ones, the build's own error among them.
 */
@NeedsDocker
class CappedLogBuildTest {

    static final String CAP = "16384";

    @TempDir
    static Path dir;

    static BuildingService building;
    static Fixtures fx;
    static LogStore logs;

    @BeforeAll
    static void start() throws Exception {
        building = BuildingService.start(dir, ConfigOverride.config("builder.logCapBytes", CAP));
        fx = building.fx;
        logs = building.logs;
    }

    @AfterAll
    static void stop() throws Exception {
        building.close();
    }

    @Test
    void aFailingBuildWhoseOutputExceedsTheCap_keepsItsLastLinesAndItsError() throws Exception {
        String name = "long-" + UUID.randomUUID().toString().substring(0, 8);
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            // About 3,000 lines (over 100 KB stored, six times the cap), then the step fails. The
            // nonce keeps the engine's cache from skipping the RUN.
            repo.commit("long and failing", Map.of("Dockerfile", "FROM local/busybox:1\n"
                    + "RUN echo " + UUID.randomUUID() + " && for i in $(seq 1 3000); do echo \"output line $i\"; done"
                    + " && echo 'the very last line' && exit 3\n"));
        }
        App app = fx.gitApp(fx.team("long"), name, building.git.url(name), 600);
        Deployment d = new DeploymentService(building.jdbi).request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> fx.reload(d).status().isBuildFinished());
        Deployment done = fx.reload(d);
        List<String> lines = logs.read(d.id()).lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();

        assertThat(done.status()).as(() -> done.errorMessage() + "\n" + String.join("\n", lines))
                .isEqualTo(DeploymentStatus.BUILD_FAILED);
        assertThat(done.errorMessage()).startsWith("the image build failed: step [2/2] RUN echo ")
                .endsWith(" failed with exit code 3"); // the step is named (issue 15)
        assertThat(lines.get(0)).startsWith("Deployment " + d.id() + " of " + name);
        int marker = indexOfFirst(lines, "left out: the log passed its cap of 16 KiB; its last lines follow]");
        assertThat(lines.get(marker)).matches("\\[[\\d,]+ lines \\(.+\\) left out: .*");
        List<String> tail = lines.subList(marker + 1, lines.size());
        assertThat(tail).as("the last lines of the step's output")
                .anyMatch(l -> l.endsWith(" output line 3000")).anyMatch(l -> l.endsWith(" the very last line"));
        assertThat(tail.get(tail.size() - 1)).as("the build's error is the last line")
                .startsWith("error: the image build failed: step [2/2] RUN ").endsWith("failed with exit code 3");
        assertThat(lines.subList(0, marker)).as("the middle is left out")
                .noneMatch(l -> l.endsWith(" output line 1500"));
        // The Check Run's text is the stored log's end: the real last lines.
        assertThat(logs.tail(d.id(), 4000)).contains("output line 3000").contains("exit code: 3");
    }

    private static int indexOfFirst(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        throw new AssertionError("no line contains \"" + part + "\":\n" + String.join("\n", lines));
    }
}
