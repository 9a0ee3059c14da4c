package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.logs.BuildLog;
import com.vangoframework.rhone.logs.LogStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;

/**
 * A build that prints lines into the real log store, as a build process would: {@code lines}
 * lines, a pause every {@code burst} of them, optionally holding in the middle until the test
 * releases it, then succeeding or failing.
 */
public final class LoggingPipeline implements BuildPipeline {

    private final LogStore logs;
    public volatile int lines = 100;
    public volatile int burst = 50;
    public volatile long pauseMillis = 20;
    public volatile int holdAfter = -1;
    public volatile boolean fail;
    public volatile IntFunction<String> text = i -> "line " + i;
    /** When set, the commit the "clone" records first, as the real pipeline does: sha, message, author. */
    public volatile List<String> commit;
    /** When set, the build waits for them (still cloning) right before and after recording the commit. */
    public volatile CountDownLatch beforeCommit;
    public volatile CountDownLatch afterCommit;
    /** Replace both before a run that should hold again. */
    public volatile CountDownLatch release = new CountDownLatch(1);
    public volatile CountDownLatch holding = new CountDownLatch(1);
    /** Nanotime at which each line was handed to the log, for latency figures. */
    public final List<Long> writtenAt = java.util.Collections.synchronizedList(new ArrayList<>());

    public LoggingPipeline(LogStore logs) {
        this.logs = logs;
    }

    @Override
    public BuildResult build(BuildContext ctx) throws Exception {
        try (BuildLog log = logs.open(ctx.deployment().id(), s -> s.replace("s3cr3t", "****"))) {
            List<String> c = commit;
            if (c != null) {
                await(beforeCommit, ctx);
                ctx.recordCommit(c.get(0), c.get(1), c.get(2));
                await(afterCommit, ctx);
            }
            ctx.advance(DeploymentStatus.ANALYZING);
            ctx.advance(DeploymentStatus.BUILDING);
            for (int i = 0; i < lines; i++) {
                if (i == holdAfter) {
                    log.flush();
                    holding.countDown();
                    CountDownLatch go = release;
                    while (!go.await(20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        ctx.throwIfAborted();
                    }
                }
                writtenAt.add(System.nanoTime());
                log.line(text.apply(i));
                if (burst > 0 && (i + 1) % burst == 0 && pauseMillis > 0) {
                    ctx.throwIfAborted();
                    Thread.sleep(pauseMillis);
                }
            }
            if (fail) {
                throw new BuildFailure("the build failed on purpose: fix the test");
            }
            ctx.advance(DeploymentStatus.PUSHING);
        }
        return new BuildResult("127.0.0.1:5000/" + ctx.app().slug() + ":test", "sha256:" + "ab".repeat(32));
    }

    private static void await(CountDownLatch latch, BuildContext ctx) throws Exception {
        while (latch != null && !latch.await(20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            ctx.throwIfAborted();
        }
    }
}
