package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deployment's error when a BuildKit step failed: the step, named and cut; a full disk first. */
class StepFailureSentenceTest {

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    private static BuildSteps fed(String... lines) {
        BuildSteps steps = new BuildSteps();
        for (String line : lines) {
            steps.acceptPlain(line, T0);
        }
        return steps;
    }

    @Test
    void aFailedRunStep_isNamedWithItsExitCode() {
        List<String> lines = List.of("#6 [2/2] RUN make", "#6 0.345 error: missing semicolon at main.c:42",
                "#6 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
                "ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2");
        BuildSteps steps = fed(lines.toArray(String[]::new));

        assertThat(ImageBuilder.failureSentence(lines, steps.summary()))
                .isEqualTo("the image build failed: step [2/2] RUN make failed with exit code 2");
    }

    @Test
    void aFullDisk_stillSaysSoFirst() {
        List<String> lines = List.of("#6 [2/2] RUN cp big /out", "#6 0.2 cp: error writing '/out/big': No space left on device",
                "#6 ERROR: process \"/bin/sh -c cp big /out\" did not complete successfully: exit code: 1");
        BuildSteps steps = fed(lines.toArray(String[]::new));

        assertThat(ImageBuilder.failureSentence(lines, steps.summary())).startsWith("no space left on the build node: ");
    }

    @Test
    void aFailedInternalStep_keepsBuildKitsErrorLine() {
        List<String> lines = List.of("#1 [internal] load build definition from Dockerfile",
                "#1 ERROR: failed to read dockerfile: open Dockerfile: no such file or directory",
                "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory");
        BuildSteps steps = fed(lines.toArray(String[]::new));

        assertThat(ImageBuilder.failureSentence(lines, steps.summary())).isEqualTo("the image build failed: failed to "
                + "solve: failed to read dockerfile: open Dockerfile: no such file or directory");
    }

    @Test
    void aLongStepName_isCutWithAnEllipsis_andTheExitCodeStays() {
        String run = "RUN echo " + "x".repeat(20_000) + " && exit 2";
        BuildSteps steps = fed("#6 [2/2] " + run,
                "#6 ERROR: process \"/bin/sh -c echo x\" did not complete successfully: exit code: 2");

        String sentence = ImageBuilder.failureSentence(List.of(), steps.summary());
        assertThat(sentence).startsWith("the image build failed: step [2/2] RUN echo xxx")
                .contains("x… failed with exit code 2")
                .hasSizeLessThan(300);
    }

    @Test
    void aStepErrorWithoutExitCode_isCutToo() {
        BuildSteps steps = fed("#4 [1/2] FROM docker.io/library/nope:1", "#4 ERROR: " + "y".repeat(900));

        assertThat(steps.summary().failureSentence().orElseThrow())
                .startsWith("step [1/2] FROM docker.io/library/nope:1 failed: yyy").endsWith("y…")
                .hasSize("step [1/2] FROM docker.io/library/nope:1 failed: ".length() + 301);
    }
}
