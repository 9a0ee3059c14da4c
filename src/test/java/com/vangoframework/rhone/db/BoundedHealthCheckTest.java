package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.health.HealthCheck;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bound on health checks that ask the database, with checks that hang as a paused database does. */
class BoundedHealthCheckTest {

    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        executor.shutdownNow();
    }

    /** A check that counts its runs and waits for {@link #release} (a database that does not answer). */
    private final class Hanging extends HealthCheck {
        final AtomicInteger runs = new AtomicInteger();
        final AtomicReference<Thread> ranOn = new AtomicReference<>();

        @Override
        protected Result check() throws Exception {
            runs.incrementAndGet();
            ranOn.set(Thread.currentThread());
            release.await();
            return Result.healthy("answered");
        }
    }

    @Test
    void aCheckThatHangs_isUnhealthyWithASentence_isNeverRunOnTheCaller_andIsNotStartedAgainWhileItHangs() {
        Hanging database = new Hanging();
        HealthCheck bounded = new BoundedHealthCheck.Group(Duration.ofMillis(200), executor)
                .add("the database", database);

        HealthCheck.Result first = bounded.execute();
        HealthCheck.Result second = bounded.execute();
        HealthCheck.Result third = bounded.execute();

        for (HealthCheck.Result r : new HealthCheck.Result[] {first, second, third}) {
            assertThat(r.isHealthy()).isFalse();
            assertThat(r.getMessage()).startsWith("the database has not answered for ").endsWith("(the bound is 200 ms)");
        }
        assertThat(database.runs).hasValue(1);
        assertThat(database.ranOn.get()).isNotSameAs(Thread.currentThread());

        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> bounded.execute().isHealthy());
        assertThat(bounded.execute().getMessage()).isEqualTo("answered");
    }

    @Test
    void askingOneCheckOfAGroup_startsTheOthers_soTheirWaitsOverlap() {
        Hanging database = new Hanging();
        Hanging queue = new Hanging();
        BoundedHealthCheck.Group group = new BoundedHealthCheck.Group(Duration.ofMillis(200), executor);
        HealthCheck first = group.add("the database", database);
        HealthCheck second = group.add("the queue", queue);

        assertThat(first.execute().isHealthy()).isFalse();
        assertThat(queue.runs).as("started by the first check").hasValue(1);
        HealthCheck.Result next = second.execute(); // its run has waited a bound already: no wait left

        assertThat(next.isHealthy()).isFalse();
        assertThat(next.getMessage()).startsWith("the queue has not answered for ");
        assertThat(queue.runs).hasValue(1);
        assertThat(database.runs).hasValue(1);
    }

    /** A stale answer would keep a paused database healthy for a while: each answer is read once. */
    @Test
    void anAnswerIsNeverUsedTwice_butOneStartedForACheckByAnotherIsUsedOnce() {
        AtomicInteger databaseRuns = new AtomicInteger();
        AtomicInteger queueRuns = new AtomicInteger();
        BoundedHealthCheck.Group group = new BoundedHealthCheck.Group(Duration.ofSeconds(5), executor);
        HealthCheck database = group.add("the database", counting(databaseRuns));
        HealthCheck queue = group.add("the queue", counting(queueRuns));

        assertThat(queue.execute().getMessage()).isEqualTo("run 1");
        assertThat(database.execute().getMessage()).as("started by the queue's call").isEqualTo("run 1");
        assertThat(database.execute().getMessage()).isEqualTo("run 2");
        assertThat(queue.execute().getMessage()).as("started by the database's second call").isEqualTo("run 2");
        assertThat(queueRuns).hasValue(2);
        assertThat(databaseRuns).hasValue(2);
    }

    private static HealthCheck counting(AtomicInteger runs) {
        return new HealthCheck() {
            @Override
            protected Result check() {
                return Result.healthy("run " + runs.incrementAndGet());
            }
        };
    }

    @Test
    void aCheckThatFails_isUnhealthyWithItsOwnSentence() {
        HealthCheck bounded = new BoundedHealthCheck.Group(Duration.ofSeconds(5), executor).add("the database",
                new HealthCheck() {
                    @Override
                    protected Result check() {
                        return Result.unhealthy("the database cannot be reached or did not answer: refused");
                    }
                });

        assertThat(bounded.execute().getMessage()).isEqualTo("the database cannot be reached or did not answer: refused");
    }
}
