package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.logs.StepDao.StoredPhase;
import com.vangoframework.rhone.logs.StepDao.StoredStep;
import com.vangoframework.rhone.deployments.DeploymentEvents;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recorder against real PostgreSQL: steps and phases are written while the build runs, their
 * final state before {@link StepRecorder.Recording#end()} returns, and a database that refuses
 * writes for a while costs the build nothing and the rows nothing once it answers.
 */
class StepRecorderTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private static com.vangoframework.rhone.db.DatabaseTarget target;
    private static Jdbi jdbi;
    private static StepDao dao;
    private static Fixtures fx;
    private static com.vangoframework.rhone.apps.Team team;
    private static int apps;
    private Deployment claimed;

    /** One database for the class: each test claims a deployment of its own. */
    @BeforeAll
    static void database() {
        target = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(target);
        fx = new Fixtures(jdbi);
        team = fx.team("acme");
        dao = jdbi.onDemand(StepDao.class);
    }

    @BeforeEach
    void claim() {
        Deployment pending = fx.pending(fx.app(team, "web-" + ++apps)); // an app each: one build at a time
        claimed = jdbi.onDemand(DeploymentDao.class)
                .claimNext(new DeploymentDao.ClaimRequest("recorder-test", 60_000)).orElseThrow();
        assertThat(claimed.id()).isEqualTo(pending.id());
    }

    private StepRecorder recorder(Jdbi through) {
        return new StepRecorder(through.onDemand(StepDao.class), threads.scheduled("rhone-step-recorder"),
                Clock.systemUTC());
    }

    private static List<String> fixture(String name) {
        try (InputStream in = StepRecorderTest.class.getResourceAsStream("/buildkit/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void feed(BuildSteps steps, List<String> lines) {
        Instant at = Instant.now();
        for (String line : lines) {
            steps.acceptPlain(line, at);
        }
    }

    private List<StoredStep> stored() {
        return dao.steps(claimed.id(), claimed.attempt());
    }

    private List<String> phaseNames() {
        return dao.phases(claimed.id(), claimed.attempt()).stream().map(StoredPhase::phase).toList();
    }

    @Test
    void stepsAndPhases_areWrittenWhileTheBuildRuns_andTheirFinalStateBeforeEndReturns() {
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        List<String> lines = fixture("failing.txt");
        int header = lines.indexOf("#5 [2/2] RUN echo compiling main.c && echo \"main.c:42: error: missing semicolon\" "
                + "&& exit 2");
        recording.phase("analysis");
        recording.phase("build");
        feed(recording.steps(), lines.subList(0, header + 1)); // the RUN step has started, nothing more

        await().atMost(Duration.ofSeconds(10)).until(() -> stored().stream()
                .anyMatch(s -> s.vertex() == 5 && s.status().equals("running")));
        assertThat(phaseNames()).containsExactly("queued", "clone", "analysis", "build");
        assertThat(dao.phases(claimed.id(), claimed.attempt()).get(3).endedAt()).as("build is running").isNull();

        feed(recording.steps(), lines.subList(header + 1, lines.size()));
        recording.end();

        StoredStep failed = stored().stream().filter(s -> s.vertex() == 5).findFirst().orElseThrow();
        assertThat(failed.status()).isEqualTo("error");
        assertThat(failed.exitCode()).isEqualTo(2);
        assertThat(failed.lastLines()).isEqualTo("compiling main.c\nmain.c:42: error: missing semicolon");
        assertThat(failed.lineCount()).isEqualTo(2);
        List<StoredPhase> phases = dao.phases(claimed.id(), claimed.attempt());
        assertThat(phases).allSatisfy(p -> assertThat(p.endedAt()).isNotNull());
        assertThat(phases.get(0).startedAt()).isEqualTo(claimed.createdAt());
        assertThat(phases.get(0).endedAt()).isEqualTo(claimed.buildStartedAt()).isEqualTo(phases.get(1).startedAt());
        assertThat(stored()).extracting(StoredStep::attempt).containsOnly(claimed.attempt());
    }

    @Test
    void anAbortedBuildsInterruptedThread_stillWaitsForTheFinalWrite_andKeepsItsInterrupt() {
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        recording.phase("build");
        feed(recording.steps(), List.of("#6 [2/2] RUN sleep 60", "#6 0.101 sleeping"));
        Thread.currentThread().interrupt(); // what a cancel does to the worker thread
        try {
            recording.end(com.vangoframework.rhone.deployments.BuildContext.AbortReason.CANCELLED);
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is given back").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(stored()).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo("canceled"));
        assertThat(dao.phases(claimed.id(), claimed.attempt())).allSatisfy(p -> assertThat(p.endedAt()).isNotNull());
    }

    @Test
    void aSecondBuildKitRun_replacesTheFirstRunsSteps_andItsErrorIsNotTheBuilds() {
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        recording.phase("build");
        // buildctl's first run: its export fails on the registry; the second run numbers from #1 again.
        feed(recording.steps(), List.of("#1 [internal] load build definition", "#1 DONE 0.1s",
                "#2 [1/2] FROM busybox", "#2 DONE 0.2s", "#3 [2/2] RUN make", "#3 DONE 3.0s",
                "#4 exporting to image", "#4 ERROR: failed to push: connection refused"));
        await().atMost(Duration.ofSeconds(10)).until(() -> stored().size() == 4);
        recording.steps().newRun();
        feed(recording.steps(), List.of("#1 [2/2] RUN make", "#1 CACHED", "#2 exporting to image", "#2 DONE 1.0s"));
        recording.end();

        assertThat(stored()).extracting(StoredStep::vertex, StoredStep::name, StoredStep::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "[2/2] RUN make", "cached"),
                org.assertj.core.groups.Tuple.tuple(2, "exporting to image", "done"));
        assertThat(recording.steps().summary().failedStep()).isEmpty();
    }

    @Test
    void aLaterClaimWithTheSameAttemptNumber_replacesWhatTheEarlierOneLeft() {
        // A node that stops hands its build back without spending the attempt: the next claim has its number.
        dao.upsertSteps(List.of(new StoredStep(claimed.id(), claimed.attempt(), 9, "[9/9] RUN old", "", false,
                "running", Instant.now(), null, null, null, null, "", 0, 0)));
        dao.upsertPhases(List.of(new StoredPhase(claimed.id(), claimed.attempt(), "push", Instant.now(), null)));
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        feed(recording.steps(), List.of("#1 [1/1] FROM busybox", "#1 DONE 0.2s"));
        recording.end();

        assertThat(stored()).extracting(StoredStep::vertex).containsExactly(1);
        assertThat(phaseNames()).doesNotContain("push").contains("clone");
    }

    @Test
    void aRunningStepIsStoredWithoutItsLines_andAFinishedOnesLinesKeepTheirEnd_withinTheCap() {
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        recording.phase("build");
        String wide = "x".repeat(990); // within the parser's 1,000 characters a line
        feed(recording.steps(), List.of("#6 [2/2] RUN make", "#6 0.100 " + wide, "#6 0.200 " + wide));
        await().atMost(Duration.ofSeconds(10)).until(() -> !stored().isEmpty());
        assertThat(stored().get(0).lastLines()).as("running: no lines on the row").isEmpty();

        List<String> lines = new java.util.ArrayList<>();
        for (int i = 3; i <= 10; i++) {
            lines.add("#6 0." + i + "00 " + i + wide);
        }
        lines.add("#6 DONE 1.0s");
        feed(recording.steps(), lines);
        recording.end();

        String kept = stored().get(0).lastLines();
        assertThat(kept.length()).isLessThanOrEqualTo(StepRecorder.LAST_LINES_CHARS);
        assertThat(kept).endsWith("10" + wide).startsWith("7" + wide); // whole lines, the newest
        assertThat(stored().get(0).lineCount()).isEqualTo(10);
    }

    @Test
    void aStepBuildKitLeftRunning_isStoredCanceledAtTheEnd() {
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        recording.phase("build");
        feed(recording.steps(), List.of("#6 [2/2] RUN sleep 60", "#6 0.101 sleeping"));
        recording.end(); // the build was cancelled: its process killed, BuildKit said nothing more

        StoredStep step = stored().get(0);
        assertThat(step.status()).isEqualTo("canceled");
        assertThat(step.endedAt()).isEqualTo(dao.phases(claimed.id(), claimed.attempt()).get(2).endedAt());
        assertThat(step.lastLines()).isEqualTo("sleeping");
    }

    @Test
    void aDatabaseThatRefusesWrites_forAWhile_doesNotHoldTheBuild_andTheRowsComeRightWhenItAnswers()
            throws Exception {
        try (DatabaseProxy proxy = new DatabaseProxy(target)) {
            StepRecorder.Recording recording = recorder(TestPostgres.jdbi(proxy.target())).start(claimed);
            List<String> lines = fixture("multistage.txt");
            feed(recording.steps(), lines.subList(0, 10));
            await().atMost(Duration.ofSeconds(10)).until(() -> !stored().isEmpty());

            proxy.cut();
            recording.phase("analysis");
            recording.phase("build");
            feed(recording.steps(), lines.subList(10, lines.size()));
            recording.phase("push");
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.refused() > 2); // rounds meet the outage
            recording.end(); // returns: the build's outcome does not wait for this database

            assertThat(stored()).as("nothing past the outage yet").noneMatch(s -> s.name().contains("exporting"));

            proxy.restore();
            List<BuildStep> parsed = recording.steps().snapshot();
            // A round writes the phases, then the steps: wait for both.
            await().atMost(Duration.ofSeconds(20)).until(() -> phaseNames().contains("push")
                    && dao.phases(claimed.id(), claimed.attempt()).stream().allMatch(p -> p.endedAt() != null)
                    && stored().size() == parsed.size());
            assertThat(stored()).hasSameSizeAs(parsed);
            for (int i = 0; i < parsed.size(); i++) {
                BuildStep want = parsed.get(i);
                StoredStep got = stored().get(i);
                assertThat(got.vertex()).isEqualTo(want.vertex());
                assertThat(got.name()).isEqualTo(want.name());
                assertThat(got.status()).isEqualTo(want.status().name().toLowerCase(java.util.Locale.ROOT));
                assertThat(got.lineCount()).isEqualTo(want.lineCount());
            }
            assertThat(phaseNames()).containsExactly("queued", "clone", "analysis", "build", "push");
        }
    }

    @Test
    void aFinalWriteThatLandsAfterTheOutcome_onItsFirstTry_tellsTheCheckRunAgain() throws Exception {
        DeploymentEvents events = new DeploymentEvents();
        List<Long> changed = new java.util.concurrent.CopyOnWriteArrayList<>();
        events.subscribe(changed::add);
        try (DatabaseProxy proxy = new DatabaseProxy(target)) {
            StepRecorder recorder = new StepRecorder(TestPostgres.jdbi(proxy.target()).onDemand(StepDao.class),
                    threads.scheduled("rhone-step-recorder"), Clock.systemUTC(), events);
            StepRecorder.Recording recording = recorder.start(claimed);
            List<String> lines = fixture("multistage.txt");
            feed(recording.steps(), lines.subList(0, 10));
            await().atMost(Duration.ofSeconds(10)).until(() -> !stored().isEmpty());

            proxy.pause(); // the database stalls: the final write hangs on its first try, it is not refused
            feed(recording.steps(), lines.subList(10, lines.size()));
            long started = System.nanoTime();
            recording.end();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the outcome waits at most about 2 s")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(changed).as("nothing written yet").isEmpty();

            proxy.resume();
            List<BuildStep> parsed = recording.steps().snapshot();
            await().atMost(Duration.ofSeconds(20)).until(() -> stored().size() == parsed.size());
            await().atMost(Duration.ofSeconds(5)).until(() -> changed.contains(claimed.id()));
        }
    }

    @Test
    void theStepsHearTheLogsMaskedLines() {
        LogStore logs = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
        StepRecorder.Recording recording = recorder(jdbi).start(claimed);
        try (BuildLog log = logs.open(claimed.id(), new SecretMasker(List.of("hunter2-secret")))) {
            log.tap(recording.steps()::acceptPlain);
            log.line("#6 [2/2] RUN make");
            log.line("#6 0.101 token=hunter2-secret");
            log.line("#6 DONE 0.2s");
            log.tap(null);
            log.line("#6 0.300 after the tap: not heard");
        }
        recording.end();

        StoredStep step = stored().get(0);
        assertThat(step.lastLines()).isEqualTo("token=****");
        assertThat(step.status()).isEqualTo("done");
        assertThat(step.durationMs()).isEqualTo(200L);
    }
}
