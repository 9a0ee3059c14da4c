package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.ChildProcesses;
import com.vangoframework.rhone.testing.DockerCli;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local Docker engine keeps no image of a build, whatever became of its push: pushed, refused by
 * the registry, or cancelled as it started (the real engine, and the registry on 127.0.0.1:5000).
 */
@NeedsDocker
class LocalImageRemovalTest {

    static final String REGISTRY = System.getenv().getOrDefault("RHONE_TEST_REGISTRY", "127.0.0.1:5000");

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private final String unique = UUID.randomUUID().toString().substring(0, 8);

    private ImageBuilder.Request request(String tag) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        // A layer of its own, so the image is this test's and not one the engine already had.
        Files.writeString(src.resolve("Dockerfile"), "FROM local/busybox:1\nRUN echo " + unique + " > /marker\n");
        return new ImageBuilder.Request(BuildPlan.dockerfile(src), tag, "unused:buildcache", false, Map.of(),
                "0".repeat(64), new RegistryAuth(REGISTRY, "", ""), Files.createDirectories(dir.resolve("work")),
                Duration.ofMinutes(2));
    }

    private DockerImageBuilder docker() {
        // No retries: a refused push fails at once (retries are PushRetryTest's).
        return new DockerImageBuilder(DockerCli.BINARY, "unused-frontend", new ProcessRunner(dir.resolve("idle-home")),
                new PushRetry(0, Duration.ZERO));
    }

    /** What {@code docker image ls} lists under the tag (image ids), once the engine has settled. */
    private static void awaitNoImage(String tag) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(DockerCli.check(Duration.ofSeconds(20), "image", "ls", "--quiet", tag)).isEmpty());
    }

    @Test
    void aPushTheRegistryRefuses_failsWithThePushError_andLeavesNoImageInTheEngine() throws Exception {
        int closed = ChildProcesses.freePort(); // nobody listens there: the push's connection is refused
        String tag = "127.0.0.1:" + closed + "/rhone-refused:" + unique;
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            // The push starts only after the build exited 0, with the image in the engine.
            assertThatThrownBy(() -> docker().build(request(tag), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessageStartingWith("pushing " + tag + " failed: ");
        }
        // Written only once the build exited 0: the engine held the image then.
        assertThat(step.storedLog()).contains("Pushing " + tag);
        awaitNoImage(tag);
    }

    @Test
    void aBuildCancelledAsItsPushStarts_leavesNoImageInTheEngine() throws Exception {
        String tag = REGISTRY + "/rhone-cancelled:" + unique;
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            // The push starts only after the build exited 0, with the image in the engine.
            assertThatThrownBy(() -> docker().build(request(tag), log, step.ctx, () -> {
                throw new BuildContext.BuildAbortedException(BuildContext.AbortReason.CANCELLED);
            })).isInstanceOf(BuildContext.BuildAbortedException.class);
        }
        awaitNoImage(tag);
    }

    @Test
    void aPushedImage_isRemovedFromTheEngine_andItsDigestReported() throws Exception {
        String tag = REGISTRY + "/rhone-pushed:" + unique;
        StepFixture step = new StepFixture(threads);
        ImageBuilder.Image image;
        try (BuildLog log = step.log(List.of())) {
            image = docker().build(request(tag), log, step.ctx, () -> { });
        }
        assertThat(image.digest()).matches("sha256:[0-9a-f]{64}");
        awaitNoImage(tag);
    }
}
