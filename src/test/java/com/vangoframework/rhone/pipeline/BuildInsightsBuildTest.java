package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.EnvVarDao;
import com.vangoframework.rhone.apps.SecretBox;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.logs.StepDao.StoredPhase;
import com.vangoframework.rhone.logs.StepDao.StoredStep;
import com.vangoframework.rhone.testing.BuildingService;
import com.vangoframework.rhone.testing.NeedsDocker;
import com.vangoframework.rhone.testing.TestRepo;
import com.vangoframework.rhone.testing.TestService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Build insights through the whole service, building for real with the local engine: the steps
 * the recorder stores are the ones the log shows, the engine's cache shows as cached steps on a
 * second build, the phases account for the build's time in order, and a failed step is named in
 * the deployment's error with its last (masked) lines stored.
 */
@NeedsDocker
class BuildInsightsBuildTest {

    @TempDir
    static Path dir;

    static BuildingService building;
    static StepDao steps;

    @BeforeAll
    static void start() throws Exception {
        building = BuildingService.start(dir);
        steps = building.jdbi.onDemand(StepDao.class);
    }

    @AfterAll
    static void stop() throws Exception {
        building.close();
    }

    /** One sample's value from /prometheus (0 when absent). */
    private static double metric(String series) throws Exception {
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(building.service.adminUrl() + "/prometheus")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(0.0);
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static Deployment deployAndWait(App app) {
        Deployment d = new DeploymentService(building.jdbi).request(NewDeployment.manual(app.id(), "main", null));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> building.fx.reload(d).status().isBuildFinished());
        return building.fx.reload(d);
    }

    private static List<StoredStep> userSteps(Deployment d) {
        return steps.steps(d.id(), d.attempt()).stream().filter(s -> !s.internal()).toList();
    }

    /** The steps BuildKit ran for the Dockerfile's own instructions: never cached by a first build. */
    private static List<StoredStep> runAndCopy(Deployment d) {
        return userSteps(d).stream().filter(s -> s.name().contains(" RUN ") || s.name().contains(" COPY ")).toList();
    }

    @Test
    void theFirstBuildRunsItsSteps_aSecondOfTheSameCommitIsCached_andTheRowsMatchTheLog() throws Exception {
        String name = "insights-" + unique();
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            // The nonce keeps the engine's cache (which outlives test runs) from skipping the first build.
            repo.commit("two steps", Map.of("hello.txt", "hello " + name + "\n", "Dockerfile",
                    "FROM local/busybox:1\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo " + name
                            + " > /built\nRUN echo second step done\n"));
        }
        App app = building.fx.gitApp(building.fx.team(name), name, building.git.url(name), 600);
        double stepsBefore = metric("rhone_build_steps_total");
        double cachedBefore = metric("rhone_build_steps_cached_total");
        double buildPhasesBefore = metric("rhone_build_phase_seconds_count{phase=\"build\"}");

        Deployment first = deployAndWait(app);
        assertThat(first.status()).as(first::errorMessage).isEqualTo(DeploymentStatus.BUILT);
        List<StoredStep> firstSteps = runAndCopy(first);
        assertThat(firstSteps).as("COPY and both RUNs").hasSize(3)
                .allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo("done"));
        assertThat(userSteps(first)).anySatisfy(s -> assertThat(s.name()).isEqualTo("exporting to image"));
        StoredStep run = firstSteps.stream().filter(s -> s.name().endsWith("RUN echo second step done"))
                .findFirst().orElseThrow();
        assertThat(run.lastLines()).isEqualTo("second step done");
        assertThat(run.endedAt()).isAfterOrEqualTo(run.startedAt());

        // Each stored step is a vertex of the stored log, and its name is that vertex's header line.
        Set<String> logLines = building.logs.read(first.id()).lines().map(l -> l.substring(l.indexOf(' ') + 1))
                .collect(Collectors.toSet());
        List<StoredStep> all = steps.steps(first.id(), first.attempt());
        assertThat(all).hasSizeGreaterThan(firstSteps.size())
                .allSatisfy(s -> assertThat(logLines).as("#%d's header", s.vertex())
                        .contains("#" + s.vertex() + " " + s.name()));

        // Phases: request to claim, then clone, analysis, build and push, one after the other.
        List<StoredPhase> phases = steps.phases(first.id(), first.attempt());
        assertThat(phases).extracting(StoredPhase::phase).containsExactly("queued", "clone", "analysis", "build",
                "push");
        for (int i = 0; i < phases.size(); i++) {
            StoredPhase p = phases.get(i);
            assertThat(p.endedAt()).as(p.phase()).isNotNull().isAfterOrEqualTo(p.startedAt());
            if (i > 0) {
                assertThat(p.startedAt()).as(p.phase() + " starts as the phase before ends")
                        .isEqualTo(phases.get(i - 1).endedAt());
            }
        }
        assertThat(phases.get(0).startedAt()).isEqualTo(first.createdAt());
        assertThat(phases.get(4).endedAt()).isBeforeOrEqualTo(first.buildFinishedAt());

        Deployment second = deployAndWait(app);
        assertThat(second.status()).as(second::errorMessage).isEqualTo(DeploymentStatus.BUILT);
        assertThat(second.commitSha()).isEqualTo(first.commitSha());
        assertThat(runAndCopy(second)).as("the same three steps, from the engine's cache")
                .extracting(StoredStep::name).containsExactlyElementsOf(firstSteps.stream().map(StoredStep::name).toList());
        assertThat(runAndCopy(second)).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo("cached"));

        // The metrics count both builds' steps (BuildKit's internal ones aside) before their outcomes.
        long cached = java.util.stream.Stream.concat(userSteps(first).stream(), userSteps(second).stream())
                .filter(s -> s.status().equals("cached")).count();
        assertThat(metric("rhone_build_steps_total") - stepsBefore)
                .isEqualTo(userSteps(first).size() + userSteps(second).size());
        assertThat(metric("rhone_build_steps_cached_total") - cachedBefore).isEqualTo(cached);
        assertThat(metric("rhone_build_phase_seconds_count{phase=\"build\"}") - buildPhasesBefore).isEqualTo(2);
    }

    @Test
    void aFailingStep_isNamedInTheError_andItsLastLinesAreStoredMasked() throws Exception {
        String name = "broken-" + unique();
        String secret = "s3cr3t-" + unique();
        String runLine = "RUN --mount=type=secret,id=API_KEY echo \"key: $(cat /run/secrets/API_KEY)\" && echo " + name
                + " && echo 'error: missing semicolon at main.c:42' && exit 2";
        try (TestRepo repo = new TestRepo(dir.resolve("repos").resolve(name))) {
            repo.commit("fails", Map.of("Dockerfile", "FROM local/busybox:1\n" + runLine + "\n"));
        }
        App app = building.fx.gitApp(building.fx.team(name), name, building.git.url(name), 600);
        SecretBox box = new SecretBox(Base64.getDecoder().decode(TestService.SECRET_KEY));
        building.jdbi.onDemand(EnvVarDao.class).upsert(app.id(), "API_KEY", box.encrypt(app.id(), "API_KEY", secret));

        Deployment failed = deployAndWait(app);

        assertThat(failed.status()).isEqualTo(DeploymentStatus.BUILD_FAILED);
        assertThat(failed.errorMessage()).isEqualTo("the image build failed: step [2/2] " + runLine
                + " failed with exit code 2");
        StoredStep step = userSteps(failed).stream().filter(s -> s.name().equals("[2/2] " + runLine))
                .findFirst().orElseThrow();
        assertThat(step.status()).isEqualTo("error");
        assertThat(step.exitCode()).isEqualTo(2);
        assertThat(step.lastLines().lines().toList()).containsExactly("key: ****", name,
                "error: missing semicolon at main.c:42");
        assertThat(step.lastLines() + step.error()).doesNotContain(secret);
        List<StoredPhase> phases = steps.phases(failed.id(), failed.attempt());
        assertThat(phases).extracting(StoredPhase::phase).containsExactly("queued", "clone", "analysis", "build");
        assertThat(phases).allSatisfy(p -> assertThat(p.endedAt()).as(p.phase()).isNotNull());
    }
}
