package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.threads.NamedThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The executors a test hands to the parts it builds, where the service's lifecycle would: register
 * it as an instance field ({@code @RegisterExtension}) and every executor it made is stopped
 * after each test.
 */
public final class TestThreads implements AfterEachCallback {

    private final List<ExecutorService> made = new CopyOnWriteArrayList<>();

    public ScheduledExecutorService scheduled(String name) {
        ScheduledExecutorService executor = NamedThreads.scheduled(name);
        made.add(executor);
        return executor;
    }

    /** {@code threads} threads, as the service's log flusher has one per build slot. */
    public ScheduledExecutorService scheduled(String name, int threads) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        ScheduledExecutorService executor = new java.util.concurrent.ScheduledThreadPoolExecutor(threads,
                r -> NamedThreads.thread(name + "-" + n.incrementAndGet(), r));
        made.add(executor);
        return executor;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        made.forEach(executor -> NamedThreads.stopNow(executor, Duration.ofSeconds(5)));
        made.clear();
    }
}
