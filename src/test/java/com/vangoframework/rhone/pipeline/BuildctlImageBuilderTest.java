package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.testing.FakeBin;
import com.vangoframework.rhone.testing.TestThreads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** buildctl at its boundary: the exact command line, the metadata file, progress and errors. */
class BuildctlImageBuilderTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    @TempDir
    Path dir;

    private static final String FRONTEND = "ghcr.io/railwayapp/railpack-frontend:v0.37.0";

    private BuildctlImageBuilder builder(String buildctl) {
        return new BuildctlImageBuilder(new BuildctlImageBuilder.Daemon(buildctl, "tcp://builder.internal:1234",
                "/tls/ca.pem", "/tls/cert.pem", "/tls/key.pem"), FRONTEND, new ProcessRunner(dir.resolve("idle-home")), new ObjectMapper());
    }

    private ImageBuilder.Request request(BuildPlan plan, Map<String, String> secrets) {
        return request(plan, secrets, new RegistryAuth("registry.fly.io", "x", "t"));
    }

    private ImageBuilder.Request request(BuildPlan plan, Map<String, String> secrets, RegistryAuth auth) {
        return new ImageBuilder.Request(plan, "registry.fly.io/web:0123456789ab", "registry.fly.io/web:buildcache",
                true, secrets, "f".repeat(64), auth, dir, Duration.ofMinutes(5));
    }

    @Test
    void railpackBuild_usesTheGatewayFrontendWithThePlanDirectory() {
        var r = request(BuildPlan.railpack(Path.of("/w/src"), Path.of("/w/plan")), Map.of("B", "2", "A", "1"));
        assertThat(builder("buildctl").buildCommand(r, Path.of("/w/meta.json")))
                .containsExactly("buildctl", "--addr", "tcp://builder.internal:1234",
                        "--tlscacert", "/tls/ca.pem", "--tlscert", "/tls/cert.pem", "--tlskey", "/tls/key.pem",
                        "build", "--progress=plain",
                        "--frontend", "gateway.v0", "--opt", "source=" + FRONTEND,
                        "--local", "context=/w/src", "--local", "dockerfile=/w/plan",
                        "--opt", "build-arg:secrets-hash=" + "f".repeat(64),
                        "--secret", "id=A,env=RHONE_SECRET_A", "--secret", "id=B,env=RHONE_SECRET_B",
                        "--output", "type=image,name=registry.fly.io/web:0123456789ab,push=true",
                        "--import-cache", "type=registry,ref=registry.fly.io/web:buildcache",
                        "--export-cache", "type=registry,ref=registry.fly.io/web:buildcache,mode=max",
                        "--metadata-file", "/w/meta.json");
    }

    @Test
    void pullRequestBuild_importsTheAppsCache_butNeverExportsIt_andPushesToThePrRepository() {
        App app = new App(7, 1, "web", null, null, "file:///r", "main", 60, null, "approve", false);
        Deployment pr = Deployments.of(DeploymentTrigger.PULL_REQUEST, 12, true);
        BuildTarget target = BuildTarget.of(app, pr);
        String sha = "0123456789abcdef0123456789abcdef01234567";
        var r = new ImageBuilder.Request(BuildPlan.dockerfile(Path.of("/w/src")),
                target.imageTag("registry.fly.io", app, pr, sha), target.cacheRef("registry.fly.io", app),
                target.exportsCache(), Map.of(), "e".repeat(64), new RegistryAuth("registry.fly.io", "x", "t"), dir,
                Duration.ofMinutes(5));
        List<String> args = builder("buildctl").buildCommand(r, Path.of("/w/meta.json"));
        assertThat(args).containsSequence("--output", "type=image,name=registry.fly.io/web-pr:pr-12-0123456789ab,push=true",
                "--import-cache", "type=registry,ref=registry.fly.io/web:buildcache",
                "--metadata-file", "/w/meta.json");
        assertThat(args).doesNotContain("--export-cache", "--secret");
        assertThat(String.join(" ", args)).doesNotContain("registry.fly.io/web:0123456789ab");
    }

    @Test
    void dockerfileBuild_usesTheDockerfileFrontend_andSecretValuesNeverAppearInArguments() {
        var r = request(BuildPlan.dockerfile(Path.of("/w/src")), Map.of("API_KEY", "very-secret-value"));
        List<String> args = builder("buildctl").buildCommand(r, Path.of("/m.json"));
        assertThat(args).containsSequence("--frontend", "dockerfile.v0", "--local", "context=/w/src",
                "--local", "dockerfile=/w/src");
        assertThat(String.join(" ", args)).doesNotContain("very-secret-value")
                .contains("id=API_KEY,env=RHONE_SECRET_API_KEY");
        // An env var named like the client's own settings cannot reach the client as such.
        assertThat(request(BuildPlan.dockerfile(Path.of("/s")), Map.of("LD_PRELOAD", "/evil.so", "PATH", "/x"))
                .secretEnv()).containsOnlyKeys("RHONE_SECRET_LD_PRELOAD", "RHONE_SECRET_PATH");
        assertThat(builder("buildctl").healthCommand())
                .endsWith("debug", "workers");
    }

    @Test
    void secretsHash_changesWithAnyValue_ignoresOrder_andIsKeyed() {
        var box = new com.vangoframework.rhone.apps.SecretBox(new byte[32]);
        var other = new com.vangoframework.rhone.apps.SecretBox(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        var secrets = new com.vangoframework.rhone.apps.AppSecrets(null, null, box);
        String h1 = secrets.fingerprint(7, Map.of("A", "1", "B", "2"));
        assertThat(secrets.fingerprint(7, new java.util.TreeMap<>(Map.of("B", "2", "A", "1")))).isEqualTo(h1);
        assertThat(secrets.fingerprint(7, Map.of("A", "1", "B", "3"))).isNotEqualTo(h1).hasSize(64);
        // Not a plain hash: without the key nobody can test guesses against it.
        assertThat(new com.vangoframework.rhone.apps.AppSecrets(null, null, other).fingerprint(7, Map.of("A", "1", "B", "2")))
                .isNotEqualTo(h1);
    }

    @Test
    void build_readsTheDigestFromTheMetadataFile_andReportsPushingFromProgress() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path buildctl = FakeBin.install("buildctl", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        AtomicInteger pushing = new AtomicInteger();
        ImageBuilder.Image image;
        try (BuildLog log = step.log(List.of("fly-token-value"))) {
            image = builder(buildctl.toString()).build(request(BuildPlan.dockerfile(src), Map.of(),
                    new RegistryAuth("registry.fly.io", "x", "fly-token-value")), log, step.ctx, pushing::incrementAndGet);
        }
        assertThat(image.digest()).isEqualTo("sha256:" + "1".repeat(64));
        assertThat(pushing.get()).isEqualTo(1);
        assertThat(step.storedLog()).contains("#3 pushing layers");
        List<String> recorded = Files.readAllLines(dir.resolve("buildctl-args.txt"));
        assertThat(recorded).contains("--metadata-file", dir.resolve("buildctl-metadata.json").toString());
        // Registry credentials went to a private DOCKER_CONFIG in the build's own work dir.
        assertThat(dir.resolve("docker-config/config.json")).exists();
        assertThat(Files.readString(dir.resolve("docker-config/config.json"))).contains("registry.fly.io")
                .doesNotContain("fly-token-value"); // base64 of user:password, as docker expects
    }

    @Test
    void build_feedsItsPlainProgressIntoTheSteps() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path buildctl = FakeBin.install("buildctl", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        BuildSteps steps = new BuildSteps();
        try (BuildLog log = step.log(List.of())) {
            builder(buildctl.toString()).build(request(BuildPlan.dockerfile(src), Map.of()), log, step.ctx, () -> { },
                    steps);
            log.line("#9 [1/1] RUN after the build: not its progress");
        }
        assertThat(steps.snapshot()).extracting(BuildStep::vertex, BuildStep::name, BuildStep::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "[internal] load build definition", StepStatus.DONE),
                        org.assertj.core.groups.Tuple.tuple(3, "exporting to image", StepStatus.DONE));
    }

    @Test
    void buildctl_runsWithTheBuildsOwnHome_neverTheServicesHomeOrRuntimeDir() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path buildctl = FakeBin.install("buildctl", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        Path serviceHome = Files.createDirectories(dir.resolve("service-home/.docker"));
        Map<String, String> serviceEnv = Map.of("PATH", System.getenv("PATH"), "HOME", serviceHome.getParent().toString(),
                "XDG_RUNTIME_DIR", "/run/user/4242");
        var builder = new BuildctlImageBuilder(new BuildctlImageBuilder.Daemon(buildctl.toString(),
                "tcp://builder.internal:1234", "", "", ""), FRONTEND,
                new ProcessRunner(dir.resolve("idle-home"), serviceEnv), new ObjectMapper());
        try (BuildLog log = step.log(List.of())) {
            builder.build(request(BuildPlan.dockerfile(src), Map.of(), new RegistryAuth("r", "", "")), log, step.ctx,
                    () -> { });
        }
        List<String> env = Files.readAllLines(dir.resolve("buildctl-env.txt"));
        assertThat(env).contains("HOME=" + dir.resolve("home"))
                .noneMatch(line -> line.startsWith("XDG_RUNTIME_DIR="))
                .noneMatch(line -> line.contains("service-home"))
                // no registry password: still the build's own (empty) config, never ~/.docker
                .contains("DOCKER_CONFIG=" + dir.resolve("docker-config"));
    }

    @Test
    void failedSolve_becomesOneSentenceNamingTheFailedStep() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path buildctl = FakeBin.install("buildctl", dir.resolve("bin"));
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("FAIL"), "");
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> builder(buildctl.toString())
                    .build(request(BuildPlan.dockerfile(src), Map.of()), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    // The step BuildKit's progress showed failing, named (issue 15).
                    .hasMessage("the image build failed: step [1/2] RUN make failed with exit code 2");
        }
    }

    /** A builder whose retries wait 10 ms, then 20 ms, 40 ms. */
    private BuildctlImageBuilder retrying(Path buildctl) {
        return new BuildctlImageBuilder(new BuildctlImageBuilder.Daemon(buildctl.toString(), "tcp://builder.internal:1234",
                "", "", ""), FRONTEND, new ProcessRunner(dir.resolve("idle-home")), new ObjectMapper(),
                new PushRetry(3, Duration.ofMillis(10)));
    }

    /** A context whose first {@code runs} buildctl runs fail with {@code error} (see fake-bin/buildctl). */
    private Path failingPushes(int runs, String error) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("PUSH_FAILS"), runs + "\n" + error + "\n");
        return src;
    }

    private long runs() throws Exception {
        return Files.readAllLines(dir.resolve("buildctl-runs.txt")).size();
    }

    @Test
    void aPushRefusedTwiceThenAccepted_isRunAgain_withEachRetryInTheLog() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = failingPushes(2, "failed to push registry.fly.io/web:0123456789ab: failed to do request: Head "
                + "\"https://registry.fly.io/v2/web/blobs/sha256:ab\": dial tcp 127.0.0.1:443: connect: connection refused");
        AtomicInteger pushing = new AtomicInteger();
        ImageBuilder.Image image;
        try (BuildLog log = step.log(List.of("fly-token-value"))) {
            image = retrying(FakeBin.install("buildctl", dir.resolve("bin"))).build(request(BuildPlan.dockerfile(src),
                    Map.of(), new RegistryAuth("registry.fly.io", "x", "fly-token-value")), log, step.ctx,
                    pushing::incrementAndGet);
        }
        assertThat(image.digest()).isEqualTo("sha256:" + "1".repeat(64));
        assertThat(runs()).isEqualTo(3);
        assertThat(pushing.get()).isEqualTo(1);
        assertThat(step.storedLog())
                .contains("push to registry.fly.io failed (connection refused); retrying in 10 ms (attempt 2 of 4)")
                .contains("push to registry.fly.io failed (connection refused); retrying in 20 ms (attempt 3 of 4)")
                .doesNotContain("attempt 4 of 4").doesNotContain("fly-token-value");
    }

    @Test
    void aPushThatKeepsFailingForNow_failsAfterTheLastRetry_sayingHowManyTries() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = failingPushes(9, "failed to push registry.fly.io/web:0123456789ab: unexpected status from PUT "
                + "request to https://registry.fly.io/v2/web/manifests/0123456789ab: 503 Service Unavailable");
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> retrying(FakeBin.install("buildctl", dir.resolve("bin")))
                    .build(request(BuildPlan.dockerfile(src), Map.of()), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessageStartingWith("the image build failed: failed to solve: failed to push")
                    .hasMessageEndingWith(": 503 Service Unavailable (4 tries)");
        }
        assertThat(runs()).isEqualTo(4);
        assertThat(step.storedLog()).contains("push to registry.fly.io failed (HTTP 503); retrying in 40 ms (attempt 4 of 4)");
    }

    @Test
    void aPushTheRegistryDenies_isNotRunAgain() throws Exception {
        StepFixture step = new StepFixture(threads);
        Path src = failingPushes(9, "failed to push registry.fly.io/web:0123456789ab: failed to authorize: failed to "
                + "fetch oauth token: unexpected status: 401 Unauthorized");
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> retrying(FakeBin.install("buildctl", dir.resolve("bin")))
                    .build(request(BuildPlan.dockerfile(src), Map.of()), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessageStartingWith("the registry refused to let rhone push registry.fly.io/web:0123456789ab (")
                    .hasMessageContaining("check the registry credentials");
        }
        assertThat(runs()).isEqualTo(1);
        assertThat(step.storedLog()).doesNotContain("retrying");
    }

    @Test
    void aConnectionFailureOutsideThePush_isNotRunAgain() throws Exception {
        StepFixture step = new StepFixture(threads);
        // The frontend image comes from another registry: not the push, and not ours to wait for.
        Path src = failingPushes(9, "failed to load cache key: Get \"https://ghcr.io/v2/railwayapp/railpack-frontend/"
                + "manifests/v0.37.0\": dial tcp 127.0.0.1:443: connect: connection refused");
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> retrying(FakeBin.install("buildctl", dir.resolve("bin")))
                    .build(request(BuildPlan.dockerfile(src), Map.of()), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class)
                    .hasMessageStartingWith("the image build failed: ")
                    .hasMessageContaining("failed to load cache key");
        }
        assertThat(runs()).isEqualTo(1);
    }

    @Test
    void missingBuildctl_isAClearFailure() throws Exception {
        StepFixture step = new StepFixture(threads);
        try (BuildLog log = step.log(List.of())) {
            assertThatThrownBy(() -> builder(dir.resolve("nope").toString())
                    .build(request(BuildPlan.dockerfile(dir), Map.of()), log, step.ctx, () -> { }))
                    .isInstanceOf(BuildFailure.class).hasMessageStartingWith("buildctl is not installed on this node");
        }
    }
}
