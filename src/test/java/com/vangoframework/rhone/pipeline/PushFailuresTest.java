package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.testing.TestThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which push failures are tried again, from what Docker's CLI (20.10, as Debian ships it) and
 * BuildKit print: the messages below are theirs, as they end a failed {@code docker push} or
 * {@code buildctl build}.
 */
class PushFailuresTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private static PushFailures.Verdict last(String... lines) {
        return PushFailures.classify(List.of(lines));
    }

    @Test
    void connectionAndServerFailures_areTransient_namedInAFewWords() {
        assertThat(last("The push refers to repository [127.0.0.1:5999/probe]",
                "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused"))
                .extracting(PushFailures.Verdict::kind, PushFailures.Verdict::reason)
                .containsExactly(PushFailures.Kind.TRANSIENT, "connection refused");
        assertThat(last("8444044c6f96: Retrying in 1 second", "received unexpected HTTP status: 503 Service Unavailable")
                .reason()).isEqualTo("HTTP 503");
        assertThat(last("received unexpected HTTP status: 500 Internal Server Error").reason()).isEqualTo("HTTP 500");
        assertThat(last("failed to solve: rpc error: code = Unknown desc = unexpected status: 502 Bad Gateway")
                .reason()).isEqualTo("HTTP 502");
        assertThat(last("Get \"https://registry.fly.io/v2/\": net/http: TLS handshake timeout").reason())
                .isEqualTo("TLS handshake timeout");
        assertThat(last("Get \"https://registry.fly.io/v2/\": dial tcp 127.0.0.1:443: i/o timeout").reason())
                .isEqualTo("timeout");
        assertThat(last("Put \"http://127.0.0.1:5000/v2/web/blobs/uploads/1\": read tcp 127.0.0.1:40312->127.0.0.1:5000: "
                + "read: connection reset by peer").reason()).isEqualTo("connection reset");
        assertThat(last("Put \"http://127.0.0.1:5000/v2/web/manifests/0123456789ab\": EOF").reason())
                .isEqualTo("connection closed early");
        assertThat(last("failed to solve: failed to push 127.0.0.1:5000/web:0123456789ab: failed to do request: "
                + "Post \"http://127.0.0.1:5000/v2/web/blobs/uploads/\": EOF").kind())
                .isEqualTo(PushFailures.Kind.TRANSIENT);
        assertThat(last("failed to copy: failed to do request: Put \"https://registry.fly.io/v2/web/blobs/uploads/x\": "
                + "write tcp 127.0.0.1:59112->127.0.0.1:443: write: broken pipe").reason()).isEqualTo("connection closed");
        assertThat(last("toomanyrequests: You have reached your pull rate limit.").reason()).isEqualTo("HTTP 429");
        // Seen in the soak benchmark when the registry went away between two pushes.
        assertThat(last("Get \"http://127.0.0.1:5000/v2/\": http: server closed idle connection").reason())
                .isEqualTo("connection closed");
    }

    @Test
    void refusedCredentials_areDenied_andNotTransient() {
        assertThat(last("8444044c6f96: Preparing", "denied: requested access to the resource is denied").kind())
                .isEqualTo(PushFailures.Kind.DENIED);
        assertThat(last("unauthorized: authentication required").kind()).isEqualTo(PushFailures.Kind.DENIED);
        assertThat(last("no basic auth credentials").kind()).isEqualTo(PushFailures.Kind.DENIED);
        assertThat(last("failed to solve: failed to push registry.fly.io/web:0123456789ab: failed to authorize: "
                + "failed to fetch oauth token: unexpected status: 401 Unauthorized").kind())
                .isEqualTo(PushFailures.Kind.DENIED);
    }

    @Test
    void whatTheRegistryWillNeverTake_andMisconfiguration_areNotRetried() {
        for (String line : List.of("manifest invalid: manifest invalid",
                "name unknown: repository name not known to registry",
                "Get \"https://127.0.0.2:5000/v2/\": http: server gave HTTP response to HTTPS client",
                "An image does not exist locally with the tag: 127.0.0.1:5000/web")) {
            assertThat(last(line).kind()).as(line).isEqualTo(PushFailures.Kind.OTHER);
            assertThat(last(line).line()).isEqualTo(line);
        }
        assertThat(last("Got permission denied while trying to connect to the Docker daemon socket at "
                + "unix:///var/run/docker.sock").kind()).isEqualTo(PushFailures.Kind.OTHER);
        // A port or a path that looks like a status is not one.
        assertThat(last("tag invalid: 127.0.0.1:5000/app-500/web").kind()).isEqualTo(PushFailures.Kind.OTHER);
    }

    @Test
    void onlyTheLastLineDecides_aBuildStepsOwnConnectionErrorIsNotARegistryFailure() {
        assertThat(last("#6 0.412 curl: (7) Failed to connect to db port 5432: Connection refused",
                "error: failed to solve: process \"/bin/sh -c ./test.sh\" did not complete successfully: exit code: 7")
                .kind()).isEqualTo(PushFailures.Kind.OTHER);
    }

    @Test
    void aFullDisk_anywhereInTheOutput_saysSoInsteadOfAnythingElse() {
        PushFailures.Verdict v = last("8444044c6f96: Pushing",
                "write /var/lib/docker/tmp/GetImageBlob123: no space left on device",
                "received unexpected HTTP status: 500 Internal Server Error");
        assertThat(v.kind()).isEqualTo(PushFailures.Kind.DISK_FULL);
        assertThat(PushFailures.diskFullSentence(v.line()))
                .isEqualTo("no space left on the build node: write /var/lib/docker/tmp/GetImageBlob123: no space left "
                        + "on device");
        // A build: BuildKit's error line when it names ENOSPC, else the line that did.
        assertThat(ImageBuilder.failureSentence(List.of("#5 [2/2] RUN make",
                "ERROR: failed to solve: failed to prepare sha256:ab: write /var/lib/docker/overlay2/x: No space left "
                        + "on device")))
                .isEqualTo("no space left on the build node: failed to solve: failed to prepare sha256:ab: write "
                        + "/var/lib/docker/overlay2/x: No space left on device");
        assertThat(ImageBuilder.failureSentence(List.of("#5 0.2 cp: error writing '/out/big': No space left on device",
                "ERROR: process \"/bin/sh -c cp big /out\" did not complete successfully: exit code: 1")))
                .isEqualTo("no space left on the build node: #5 0.2 cp: error writing '/out/big': No space left on "
                        + "device");
        assertThat(ImageBuilder.failureSentence(List.of("ERROR: process \"/bin/sh -c make\" did not complete "
                + "successfully: exit code: 2"))).startsWith("the image build failed: ");
    }

    @Test
    void retries_waitTheFirstDelayThenTwiceAsLong_atMostAMinute() {
        PushRetry retry = new PushRetry(3, Duration.ofSeconds(1));
        assertThat(retry.attempts()).isEqualTo(4);
        assertThat(List.of(retry.delayBefore(2), retry.delayBefore(3), retry.delayBefore(4)))
                .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
        PushRetry slow = new PushRetry(10, Duration.ofSeconds(40));
        assertThat(slow.delayBefore(3)).isEqualTo(Duration.ofMinutes(1));
        assertThat(slow.delayBefore(11)).isEqualTo(Duration.ofMinutes(1));
        assertThat(PushRetry.describe(Duration.ofSeconds(2))).isEqualTo("2 s");
        assertThat(PushRetry.describe(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(PushRetry.registryOf("registry.fly.io/rhone-images/web:0123456789ab")).isEqualTo("registry.fly.io");
        assertThatThrownBy(() -> new PushRetry(-1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCancelDuringTheWaitBeforeARetry_endsTheWaitWithTheCancel() throws Exception {
        StepFixture step = new StepFixture(threads);
        CompletableFuture<Void> waiting = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                PushRetry.UNTIL_ABORTED.await(Duration.ofMinutes(10), step.ctx);
                waiting.complete(null);
            } catch (Exception e) {
                waiting.completeExceptionally(e);
            }
        }, "push-retry-waiter");
        waiter.setDaemon(true);
        waiter.start();
        step.ctx.abort(BuildContext.AbortReason.CANCELLED);
        // Bounded only so that a broken wait fails the test instead of hanging it for ten minutes.
        assertThatThrownBy(() -> waiting.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(BuildContext.BuildAbortedException.class)
                .extracting(e -> ((BuildContext.BuildAbortedException) e).reason())
                .isEqualTo(BuildContext.AbortReason.CANCELLED);
    }
}
