package com.vangoframework.rhone.deployments;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Named daemon threads for the service's executors, so a thread dump says who is who. */
public final class Executors2 {

    private static final Logger LOG = LoggerFactory.getLogger(Executors2.class);

    private Executors2() {
    }

    public static ExecutorService fixed(String prefix, int size) {
        return Executors.newFixedThreadPool(size, named(prefix));
    }

    /** One thread; cancelled timers leave the queue at once instead of lingering until they were due. */
    public static ScheduledThreadPoolExecutor scheduled(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> thread(name, r));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    public static ExecutorService cached(String prefix) {
        return Executors.newCachedThreadPool(named(prefix));
    }

    public static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> LOG.error("Uncaught exception in {}", th.getName(), e));
        return t;
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> thread(prefix + n.incrementAndGet(), r);
    }
}
