package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.LoggingPipeline;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service side of {@link LiveLogBench}, in its own JVM so its heap and CPU can be measured
 * alone: the real application whose builds print lines into the real log store. Builds take
 * their shape, in order, from {@code -Dbuilds=lines:burst:pauseMillis,...}.
 * Arguments: jdbc url, user, password, data dir, file to write "url admin-url" into.
 */
public final class LiveLogService {

    public static void main(String[] args) throws Exception {
        DatabaseTarget db = new DatabaseTarget(args[0], args[1], args[2]);
        List<int[]> shapes = java.util.Arrays.stream(System.getProperty("builds").split(","))
                .map(s -> java.util.Arrays.stream(s.split(":")).mapToInt(Integer::parseInt).toArray()).toList();
        AtomicInteger next = new AtomicInteger();
        TestService service = TestService.withPipelineFrom(db, Path.of(args[3]), parts -> ctx -> {
            int[] shape = shapes.get(Math.min(next.getAndIncrement(), shapes.size() - 1));
            LoggingPipeline p = new LoggingPipeline(parts.logs());
            p.lines = shape[0];
            p.burst = shape[1];
            p.pauseMillis = shape[2];
            p.text = i -> "step 4/7 RUN ./build.sh: compiled module " + i + " of the project in 0.0" + (i % 10) + " s";
            return p.build(ctx);
        },
                // 200 viewers share one session and team, and a 100,000-line log passes the default
                // cap's head: without these, all but 8 streams are refused and no viewer sees every line.
                ConfigOverride.config("dashboard.maxStreamsPerSession", "512"),
                ConfigOverride.config("dashboard.maxStreamsPerTeam", "512"),
                ConfigOverride.config("builder.logCapBytes", String.valueOf(64L << 20))).start();
        Files.writeString(Path.of(args[4]), service.url() + " " + service.adminUrl());
        Thread.currentThread().join();
    }
}
