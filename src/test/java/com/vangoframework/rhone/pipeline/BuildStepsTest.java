package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The plain-progress parser against real BuildKit output (src/test/resources/buildkit/). */
class BuildStepsTest {

    private static final Instant BASE = Instant.parse("2026-12-02T14:00:00Z");
    private static final Duration TICK = Duration.ofMillis(10);

    private static List<String> fixture(String name) {
        try (InputStream in = BuildStepsTest.class.getResourceAsStream("/buildkit/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Line i arrives at BASE + i ticks. */
    private static BuildSteps feed(List<String> lines) {
        BuildSteps steps = new BuildSteps();
        for (int i = 0; i < lines.size(); i++) {
            steps.acceptPlain(lines.get(i), arrival(i));
        }
        return steps;
    }

    private static Instant arrival(int i) {
        return BASE.plus(TICK.multipliedBy(i));
    }

    private static Map<Integer, BuildStep> byVertex(BuildSteps steps) {
        return steps.snapshot().stream().collect(Collectors.toMap(BuildStep::vertex, Function.identity()));
    }

    private static List<String> texts(BuildStep step) {
        return step.lastLines().stream().map(BuildStep.Line::text).toList();
    }

    @Test
    void multiStageBuild_givesEveryStepInVertexOrderWithNameAndStage() {
        BuildSteps steps = feed(fixture("multistage.txt"));
        List<BuildStep> all = steps.snapshot();

        assertThat(all).extracting(BuildStep::vertex).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(all.get(0).name()).isEqualTo("[internal] load build definition from Dockerfile");
        assertThat(all.get(0).internal()).isTrue();
        BuildStep run = all.get(7);
        assertThat(run.name()).isEqualTo("[build 4/4] RUN cat hello.txt > out.txt && echo built from hello.txt");
        assertThat(run.stage()).isEqualTo("build");
        assertThat(run.index()).isEqualTo(4);
        assertThat(run.total()).isEqualTo(4);
        assertThat(run.internal()).isFalse();
        assertThat(all.get(9).stage()).isEqualTo("stage-1");
        assertThat(all.get(9).index()).isEqualTo(3);
        BuildStep export = all.get(10);
        assertThat(export.name()).isEqualTo("exporting to image");
        assertThat(export.stage()).isEmpty();
        assertThat(export.index()).isZero();
        assertThat(all).extracting(BuildStep::status).containsOnly(StepStatus.DONE, StepStatus.CACHED);
        assertThat(steps.summary().failedStep()).isEmpty();
        assertThat(steps.summary().steps()).isEqualTo(11);
    }

    @Test
    void stageLessPosition_hasIndexButNoStage() {
        BuildStep from = byVertex(feed(fixture("failing.txt"))).get(4);

        assertThat(from.name()).isEqualTo("[1/2] FROM docker.io/local/busybox:1");
        assertThat(from.stage()).isEmpty();
        assertThat(from.index()).isEqualTo(1);
        assertThat(from.total()).isEqualTo(2);
    }

    @Test
    void doneLine_endsTheStepAtItsArrivalAndStartsItBuildKitsDurationEarlier() {
        List<String> lines = fixture("multistage.txt");
        int done = lines.indexOf("#8 DONE 1.0s");
        BuildStep run = byVertex(feed(lines)).get(8);

        assertThat(run.end()).isEqualTo(arrival(done));
        assertThat(run.duration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(run.start()).isEqualTo(arrival(done).minusSeconds(1));
    }

    @Test
    void stepsOfParallelStages_overlapInTime() {
        Map<Integer, BuildStep> steps = byVertex(feed(fixture("parallel.txt")));
        BuildStep left = steps.get(5);
        BuildStep right = steps.get(7);

        assertThat(left.stage()).isEqualTo("left");
        assertThat(right.stage()).isEqualTo("right");
        assertThat(left.start()).isBefore(right.end());
        assertThat(right.start()).isBefore(left.end());
    }

    @Test
    void repeatedHeader_isTheSameStep() {
        BuildSteps steps = feed(fixture("parallel.txt"));
        BuildStep metadata = byVertex(steps).get(3);

        assertThat(steps.snapshot()).hasSize(10);
        assertThat(metadata.name()).isEqualTo("[internal] load metadata for docker.io/local/busybox:1");
        assertThat(metadata.lineCount()).isZero();
        assertThat(metadata.status()).isEqualTo(StepStatus.DONE);
    }

    @Test
    void continuedLater_thenHeaderAgain_isOneStepDoneWithItsDuration() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#2 [internal] load metadata for docker.io/library/busybox:latest", BASE);
        steps.acceptPlain("#2 ...", BASE.plusMillis(5));
        steps.acceptPlain("#3 [auth] library/busybox:pull token for registry-1.docker.io", BASE.plusMillis(10));
        steps.acceptPlain("#3 DONE 0.0s", BASE.plusMillis(20));
        steps.acceptPlain("#2 [internal] load metadata for docker.io/library/busybox:latest", BASE.plusMillis(800));
        steps.acceptPlain("#2 DONE 0.8s", BASE.plusMillis(900));

        assertThat(steps.snapshot()).extracting(BuildStep::vertex).containsExactly(2, 3);
        BuildStep metadata = steps.snapshot().get(0);
        assertThat(metadata.status()).isEqualTo(StepStatus.DONE);
        assertThat(metadata.duration()).isEqualTo(Duration.ofMillis(800));
        assertThat(metadata.start()).isEqualTo(BASE.plusMillis(100));
        assertThat(steps.snapshot().get(1).internal()).isTrue();
    }

    @Test
    void secondBuildOfTheSameContext_reportsItsStepsCached() {
        BuildSteps first = feed(fixture("parallel.txt"));
        BuildSteps second = feed(fixture("parallel-cached.txt"));

        assertThat(first.summary().cached()).isEqualTo(1); // only the base image
        assertThat(second.summary().cached()).isEqualTo(5);
        assertThat(byVertex(second).get(9).cached()).isTrue();
        assertThat(byVertex(second).get(9).name()).isEqualTo("[stage-2 4/4] RUN cat /left /right");
        assertThat(byVertex(second).get(10).status()).isEqualTo(StepStatus.DONE);
    }

    @Test
    void failedRun_isTheFailedStepWithItsExitCodeAndLastLines() {
        BuildSteps steps = feed(fixture("failing.txt"));
        BuildSteps.Summary summary = steps.summary();

        BuildStep failed = summary.failedStep().orElseThrow();
        assertThat(failed.vertex()).isEqualTo(5);
        assertThat(failed.status()).isEqualTo(StepStatus.ERROR);
        assertThat(failed.exitCode()).isEqualTo(2);
        assertThat(failed.error()).startsWith("executor failed running [/bin/sh -c echo compiling main.c");
        assertThat(texts(failed)).containsExactly("compiling main.c", "main.c:42: error: missing semicolon");
        assertThat(failed.end()).isNotNull();
        assertThat(summary.failureSentence()).contains("step [2/2] RUN echo compiling main.c && echo "
                + "\"main.c:42: error: missing semicolon\" && exit 2 failed with exit code 2");
        // the blank lines between steps and docker's error block after them are not progress
        assertThat(summary.ignoredLines()).isEqualTo(8);
    }

    @Test
    void newerBuildKitsErrorWording_andTheStepsItCanceled() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#6 [2/2] RUN make", BASE);
        steps.acceptPlain("#7 [other 2/2] RUN sleep 5", BASE);
        steps.acceptPlain("#6 0.345 main.c:42: error: missing semicolon", BASE.plusMillis(345));
        steps.acceptPlain("#6 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
                BASE.plusMillis(400));
        steps.acceptPlain("#7 CANCELED", BASE.plusMillis(410));

        BuildSteps.Summary summary = steps.summary();
        assertThat(summary.failureSentence()).contains("step [2/2] RUN make failed with exit code 2");
        assertThat(summary.failed().lastLines()).extracting(BuildStep.Line::text)
                .containsExactly("main.c:42: error: missing semicolon");
        BuildStep canceled = byVertex(steps).get(7);
        assertThat(canceled.status()).isEqualTo(StepStatus.CANCELED);
        assertThat(canceled.end()).isEqualTo(BASE.plusMillis(410));
        assertThat(canceled.duration()).isEqualTo(Duration.ofMillis(410));
    }

    @Test
    void errorWithoutExitCode_isNamedWithItsText() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#4 [1/2] FROM docker.io/library/nope:1", BASE);
        steps.acceptPlain("#4 ERROR: docker.io/library/nope:1: not found", BASE.plusSeconds(1));

        assertThat(steps.summary().failureSentence())
                .contains("step [1/2] FROM docker.io/library/nope:1 failed: docker.io/library/nope:1: not found");
        assertThat(steps.summary().failed().exitCode()).isNull();
    }

    @Test
    void outputLines_belongToTheStepThatPrintedThem_withBuildKitsTiming() {
        Map<Integer, BuildStep> steps = byVertex(feed(fixture("parallel.txt")));

        assertThat(steps.get(5).lastLines()).containsExactly(new BuildStep.Line(Duration.ofMillis(2215), "left done"));
        assertThat(steps.get(7).lastLines()).containsExactly(new BuildStep.Line(Duration.ofMillis(2235), "right done"));
        assertThat(texts(steps.get(9))).containsExactly("left", "right");
        // BuildKit's own status lines have no timing
        assertThat(steps.get(1).lastLines())
                .containsExactly(new BuildStep.Line(null, "transferring dockerfile: 306B 0.0s done"));
        // the digest line is neither output nor a name
        assertThat(steps.get(4).lineCount()).isZero();
    }

    @Test
    void timingPrefix_asInBuildKitsOwnSample() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#6 [2/2] RUN --device=vendor1.com/device=foo   env|grep FOO", BASE);
        steps.acceptPlain("#6 0.062 FOO=injected", BASE.plusMillis(62));
        steps.acceptPlain("#6 12.5", BASE.plusMillis(70));
        steps.acceptPlain("#6 1.5s is not a timing prefix", BASE.plusMillis(80));
        steps.acceptPlain("#6 DONE 0.1s", BASE.plusMillis(100));

        BuildStep step = steps.snapshot().get(0);
        assertThat(step.lastLines()).containsExactly(
                new BuildStep.Line(Duration.ofMillis(62), "FOO=injected"),
                new BuildStep.Line(Duration.ofMillis(12_500), ""),
                new BuildStep.Line(null, "1.5s is not a timing prefix"));
        assertThat(step.start()).isEqualTo(BASE);
    }

    @Test
    void stepWithManyLines_keepsTheLastTenAndCountsThemAll() {
        BuildStep run = byVertex(feed(fixture("many-lines.txt"))).get(5);

        assertThat(run.lineCount()).isEqualTo(400);
        assertThat(run.lastLines()).hasSize(BuildSteps.KEEP);
        assertThat(texts(run).get(0)).isEqualTo("line 391 of the build output");
        assertThat(texts(run).get(9)).isEqualTo("line 400 of the build output");
    }

    @Test
    void unknownLineShapes_areIgnoredNotFatal() {
        BuildSteps steps = new BuildSteps();
        List<String> odd = List.of("", "#", "#5", "#5 ", "#abc def", "hello", "------", " > [2/2] RUN make:",
                "#-1 x", "# 5 x", "#1234567890 x", "#0 building with \"default\" instance using docker driver",
                "\u0000\u0000", "#5\tDONE 1.0s", "ERROR: failed to solve: exit code: 2");
        for (String line : odd) {
            steps.acceptPlain(line, BASE);
        }
        steps.acceptPlain(null, BASE);
        steps.acceptPlain("#1 x", null);

        assertThat(steps.snapshot()).isEmpty();
        assertThat(steps.summary().ignoredLines()).isEqualTo(odd.size());
        assertThat(steps.summary().disabled()).isFalse();
    }

    @Test
    void doneWithoutItsHeader_stillMakesAStepFromBuildKitsDuration() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#9 DONE 2.5s", BASE.plusSeconds(10));

        BuildStep step = steps.snapshot().get(0);
        assertThat(step.name()).isEmpty();
        assertThat(step.start()).isEqualTo(BASE.plusMillis(7_500));
        assertThat(step.status()).isEqualTo(StepStatus.DONE);
    }

    @Test
    void linesCutAtOddPlaces_neverBreakTheParserNorTheStepsTheyDoNotTouch() {
        Random random = new Random(15);
        for (String name : List.of("multistage.txt", "parallel.txt", "parallel-cached.txt", "failing.txt",
                "many-lines.txt")) {
            List<String> lines = fixture(name);
            Map<Integer, BuildStep> whole = byVertex(feed(lines));
            for (int trial = 0; trial < 50; trial++) {
                List<String> cut = new ArrayList<>();
                Set<Integer> touched = new HashSet<>();
                for (String line : lines) {
                    if (line.length() < 2 || random.nextInt(4) != 0) {
                        cut.add(line);
                        continue;
                    }
                    int at = 1 + random.nextInt(line.length() - 1);
                    int prefix = line.indexOf(' ') + 1;
                    if (random.nextBoolean() || at < prefix) { // split in two lines
                        cut.add(line.substring(0, at));
                        cut.add(line.substring(at));
                    } else { // what BoundedLineReader leaves of a line over its bound (never inside #N)
                        cut.add(line.substring(0, at) + BoundedLineReader.marker(at));
                    }
                    touched.add(vertexOf(line));
                }
                BuildSteps steps = new BuildSteps();
                for (int i = 0; i < cut.size(); i++) {
                    steps.acceptPlain(cut.get(i), arrival(i));
                }

                assertThat(steps.summary().disabled()).isFalse();
                Map<Integer, BuildStep> got = byVertex(steps);
                for (BuildStep expected : whole.values()) {
                    if (touched.contains(expected.vertex())) {
                        continue;
                    }
                    BuildStep step = got.get(expected.vertex());
                    assertThat(step).as("%s vertex %d, trial %d", name, expected.vertex(), trial).isNotNull();
                    assertThat(step.name()).isEqualTo(expected.name());
                    assertThat(step.status()).isEqualTo(expected.status());
                    assertThat(step.lineCount()).isEqualTo(expected.lineCount());
                    assertThat(step.lastLines()).isEqualTo(expected.lastLines());
                }
            }
        }
    }

    private static int vertexOf(String line) {
        int i = 1;
        while (i < line.length() && Character.isDigit(line.charAt(i))) {
            i++;
        }
        return line.startsWith("#") && i > 1 ? Integer.parseInt(line.substring(1, i)) : -1;
    }

    @Test
    void millionLineStream_keepsMemoryBounded() {
        BuildSteps steps = new BuildSteps();
        Instant at = BASE;
        int outputLines = 0;
        for (int v = 1; v <= 100; v++) {
            steps.acceptPlain("#" + v + " [build " + v + "/100] RUN ./generate " + v, at);
            for (int i = 0; i < 9_998; i++) {
                steps.acceptPlain("#" + v + " " + (i / 1000) + ".123 output line " + i + " of step " + v, at);
                outputLines++;
            }
            steps.acceptPlain("#" + v + " DONE 10.0s", at);
            at = at.plusSeconds(10);
        }

        List<BuildStep> all = steps.snapshot();
        assertThat(all).hasSize(100);
        assertThat(all).allSatisfy(s -> assertThat(s.lastLines()).hasSizeLessThanOrEqualTo(BuildSteps.KEEP));
        assertThat(all.stream().mapToLong(BuildStep::lineCount).sum()).isEqualTo(outputLines);
        assertThat(texts(all.get(99)).get(9)).isEqualTo("output line 9997 of step 100");
    }

    @Test
    void streamOfEndlesslyNewVertices_tracksAtMostTheCap() {
        BuildSteps steps = new BuildSteps();
        for (int v = 1; v <= BuildSteps.MAX_STEPS + 500; v++) {
            steps.acceptPlain("#" + v + " step " + v, BASE);
        }
        assertThat(steps.snapshot()).hasSize(BuildSteps.MAX_STEPS);
    }

    @Test
    void longLines_areKeptCutToTheTextLimit() {
        BuildSteps steps = new BuildSteps();
        steps.acceptPlain("#1 " + "n".repeat(5_000), BASE);
        steps.acceptPlain("#1 0.100 " + "x".repeat(5_000), BASE);

        BuildStep step = steps.snapshot().get(0);
        assertThat(step.name()).hasSize(BuildSteps.MAX_TEXT);
        assertThat(step.lastLines().get(0).text()).hasSize(BuildSteps.MAX_TEXT);
    }

    @Test
    void bugInTheParser_isCaughtCountedAndSwitchesTheParserOff() {
        AtomicInteger calls = new AtomicInteger();
        BuildSteps steps = new BuildSteps(BuildSteps.KEEP, (line, at, into) -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("a bug");
            }
            return PlainProgressParser.feed(line, at, into);
        });

        steps.acceptPlain("#1 [1/2] FROM busybox", BASE);
        steps.acceptPlain("#1 DONE 0.1s", BASE);
        steps.acceptPlain("#2 [2/2] RUN make", BASE);

        assertThat(steps.summary().disabled()).isTrue();
        assertThat(steps.summary().ignoredLines()).isEqualTo(1);
        assertThat(calls).hasValue(2);
        assertThat(steps.snapshot()).extracting(BuildStep::vertex).containsExactly(1);
    }

    @Test
    void snapshot_isImmutableAndReusedUntilALineChangesIt() {
        BuildSteps steps = feed(fixture("multistage.txt"));
        List<BuildStep> first = steps.snapshot();

        assertThat(steps.snapshot()).isSameAs(first);
        assertThatThrownBy(() -> first.add(first.get(0))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.get(7).lastLines().clear()).isInstanceOf(UnsupportedOperationException.class);
        steps.acceptPlain("#12 [internal] one more", BASE);
        assertThat(steps.snapshot()).isNotSameAs(first).hasSize(12);
        assertThat(first).hasSize(11);
    }

    @Test
    void snapshotsTakenWhileAnotherThreadFeeds_areConsistent() throws InterruptedException {
        BuildSteps steps = new BuildSteps();
        int lines = 200_000;
        Thread feeder = new Thread(() -> {
            steps.acceptPlain("#1 [1/1] RUN yes", BASE);
            for (int i = 1; i <= lines; i++) {
                steps.acceptPlain("#1 0.500 y " + i, BASE);
            }
        }, "feeder");
        feeder.start();
        long previous = 0;
        while (feeder.isAlive()) {
            for (BuildStep s : steps.snapshot()) {
                assertThat(s.lineCount()).isGreaterThanOrEqualTo(previous);
                assertThat(s.lastLines()).hasSize((int) Math.min(s.lineCount(), BuildSteps.KEEP));
                if (s.lineCount() > 0) {
                    assertThat(s.lastLines().get(s.lastLines().size() - 1).text()).isEqualTo("y " + s.lineCount());
                }
                previous = s.lineCount();
            }
        }
        feeder.join();
        assertThat(steps.snapshot().get(0).lineCount()).isEqualTo(lines);
    }
}
