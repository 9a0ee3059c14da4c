package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildPipeline;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pipeline for queue tests: walks the real phases through the real context and then does what
 * the test scripted (sleep, block until aborted, fail). It counts runs per deployment and watches
 * how many builds of one app overlap.
 */
public final class ScriptedPipeline implements BuildPipeline {

    @FunctionalInterface
    public interface Step {
        void run(BuildContext context) throws Exception;
    }

    private volatile Step step = ctx -> { };
    public final Map<Long, AtomicInteger> runs;
    private final Map<Long, AtomicInteger> runningPerApp;
    public final AtomicInteger maxOverlapPerApp;
    public final AtomicInteger started = new AtomicInteger();

    public ScriptedPipeline() {
        this.runs = new ConcurrentHashMap<>();
        this.runningPerApp = new ConcurrentHashMap<>();
        this.maxOverlapPerApp = new AtomicInteger();
    }

    /** A pipeline for another node in the same JVM that counts runs and overlaps together with {@code other}. */
    public ScriptedPipeline(ScriptedPipeline other) {
        this.runs = other.runs;
        this.runningPerApp = other.runningPerApp;
        this.maxOverlapPerApp = other.maxOverlapPerApp;
        this.step = other.step;
    }

    public ScriptedPipeline then(Step next) {
        this.step = next;
        return this;
    }

    public static Step sleep(long millis) {
        return ctx -> Thread.sleep(millis);
    }

    /** Waits until the build is told to stop (cancel, timeout, shutdown). */
    public static Step blockUntilAborted() {
        return ctx -> {
            while (true) {
                ctx.throwIfAborted();
                Thread.sleep(20);
            }
        };
    }

    /** Builds of this app inside the pipeline right now. */
    public int runningNow(long appId) {
        AtomicInteger n = runningPerApp.get(appId);
        return n == null ? 0 : n.get();
    }

    public int runsOf(long deploymentId) {
        AtomicInteger n = runs.get(deploymentId);
        return n == null ? 0 : n.get();
    }

    @Override
    public BuildResult build(BuildContext ctx) throws Exception {
        long app = ctx.deployment().appId();
        runs.computeIfAbsent(ctx.deployment().id(), k -> new AtomicInteger()).incrementAndGet();
        started.incrementAndGet();
        int overlap = runningPerApp.computeIfAbsent(app, k -> new AtomicInteger()).incrementAndGet();
        maxOverlapPerApp.accumulateAndGet(overlap, Math::max);
        try {
            ctx.advance(DeploymentStatus.ANALYZING);
            ctx.advance(DeploymentStatus.BUILDING);
            step.run(ctx);
            ctx.advance(DeploymentStatus.PUSHING);
            return new BuildResult("127.0.0.1:5000/" + ctx.app().slug() + ":test",
                    "sha256:" + "0".repeat(63) + (ctx.deployment().id() % 10));
        } finally {
            runningPerApp.get(app).decrementAndGet();
        }
    }
}
