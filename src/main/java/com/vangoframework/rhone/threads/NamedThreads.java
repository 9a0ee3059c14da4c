package com.vangoframework.rhone.threads;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executors and threads that a component makes in its own {@code start()}, because its
 * {@code stop()} must order them itself (the build queue hands work back before its timers stop;
 * the live logs stop listening before their readers). Every thread is a named daemon, so a thread
 * dump says who is who and an uncaught exception is logged with that name. Components that own
 * their timers (Check Runs, redelivery, log retention) also make them here in {@code start()};
 * executors that a component is handed (the log flusher, request follow-ups, live app pages)
 * come from Dropwizard's {@code environment.lifecycle()} builders in the composition root.
 */
public final class NamedThreads {

    private static final Logger LOG = LoggerFactory.getLogger(NamedThreads.class);

    private NamedThreads() {
    }

    public static ExecutorService fixed(String prefix, int size) {
        return Executors.newFixedThreadPool(size, factory(prefix));
    }

    /** One thread; cancelled timers leave the queue at once instead of lingering until they were due. */
    public static ScheduledThreadPoolExecutor scheduled(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> thread(name, r));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    public static ExecutorService cached(String prefix) {
        return Executors.newCachedThreadPool(factory(prefix));
    }

    /** An unstarted thread; its owner starts it in {@code start()} and ends and joins it in {@code stop()}. */
    public static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> LOG.error("Uncaught exception in {}", th.getName(), e));
        return t;
    }

    /** Threads named {@code prefix} followed by 1, 2, ... */
    public static ThreadFactory factory(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> thread(prefix + n.incrementAndGet(), r);
    }

    /**
     * Interrupts what runs, drops what waits, and waits up to {@code deadline} for the threads to
     * end. An interrupt of the caller meanwhile is kept for the caller to see.
     */
    public static void stopNow(ExecutorService executor, Duration deadline) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Threads of {} still running {} after their stop", executor, deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
