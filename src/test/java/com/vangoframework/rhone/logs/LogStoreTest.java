package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.pipeline.SecretMasker;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LogStoreTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private Jdbi jdbi;
    private Deployment deployment;

    @BeforeEach
    void setUp() {
        jdbi = TestPostgres.jdbi(TestPostgres.freshDatabase());
        Fixtures fx = new Fixtures(jdbi);
        deployment = fx.pending(fx.app(fx.team("acme"), "web"));
    }

    private LogStore store(long cap) {
        return new LogStore(jdbi.onDemand(LogChunkDao.class), cap, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
    }

    private static List<String> texts(String log) {
        return log.lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    private long chunks() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM deployment_log_chunks").mapTo(Long.class).one());
    }

    @Test
    void linesComeBackInOrder_eachTimestamped_inFewBatchedChunks() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            for (int i = 0; i < 1000; i++) {
                log.line("line " + i + "\n");
            }
        }
        String text = store.read(deployment.id());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            expected.add("line " + i);
        }
        assertThat(texts(text)).isEqualTo(expected);
        assertThat(text.lines().findFirst().orElseThrow()).matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z line 0");
        assertThat(chunks()).isBetween(4L, 10L); // 256 lines a chunk, not one insert per line
    }

    @Test
    void secretsAreMaskedBeforeTheyAreStored() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog log = store.open(deployment.id(), new SecretMasker(List.of("hunter2-password", "tok_abcdef")))) {
            log.line("connecting with hunter2-password and tok_abcdef, twice: hunter2-password");
        }
        String stored = jdbi.withHandle(h -> h.createQuery("SELECT string_agg(content, '') FROM deployment_log_chunks")
                .mapTo(String.class).one());
        assertThat(stored).doesNotContain("hunter2").doesNotContain("tok_abcdef")
                .endsWith("connecting with **** and ****, twice: ****");
    }

    @Test
    void textWithLineBreaksInside_isStoredAsSeparateLines_maskedBeforeTheSplit() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        // A secret that itself spans a line break is masked whole, before the text is split.
        try (BuildLog log = store.open(deployment.id(), new SecretMasker(List.of("multi\nline-secret")))) {
            log.line("first\nsecond\r\nthird\rfourth with multi\nline-secret\n");
        }
        String stored = store.read(deployment.id());
        assertThat(texts(stored)).containsExactly("first", "second", "third", "fourth with ****");
        assertThat(stored).doesNotContain("\r").doesNotContain("line-secret");
        long lines = jdbi.withHandle(h -> h.createQuery("SELECT coalesce(max(first_line + line_count), 0)"
                + " FROM deployment_log_chunks WHERE deployment_id = ?").bind(0, deployment.id()).mapTo(Long.class).one());
        assertThat(lines).isEqualTo(4);
    }

    @Test
    void retention_deletesTheLogsOfDeploymentsFinishedLongAgo_only() {
        Fixtures fx = new Fixtures(jdbi);
        Deployment recent = fx.pending(fx.app(fx.team("globex"), "api"));
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        for (Deployment d : List.of(deployment, recent)) {
            try (BuildLog log = store.open(d.id(), UnaryOperator.identity())) {
                log.line("built " + d.id());
            }
        }
        jdbi.useHandle(h -> {
            h.execute("UPDATE deployments SET status = 'built', build_finished_at = now() - interval '40 days' WHERE id = ?",
                    deployment.id());
            h.execute("UPDATE deployments SET status = 'build_failed', build_finished_at = now() - interval '2 days' "
                    + "WHERE id = ?", recent.id());
        });
        int deleted = new LogRetention(jdbi.onDemand(LogChunkDao.class), java.time.Duration.ofDays(30),
                Clock.systemUTC()).runOnce();
        assertThat(deleted).isEqualTo(1);
        assertThat(store.read(deployment.id())).isEmpty();
        assertThat(texts(store.read(recent.id()))).containsExactly("built " + recent.id());
    }

    @Test
    void pastTheCap_oneTruncationLineIsWritten_andTheRestDropped() {
        LogStore store = store(10_000);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            for (int i = 0; i < 1000; i++) {
                log.line("x".repeat(80) + " " + i);
            }
        }
        List<String> lines = store.read(deployment.id()).lines().toList();
        assertThat(lines.get(lines.size() - 1)).contains("[log truncated: the build printed more than");
        assertThat(lines).hasSizeLessThan(120);
        long bytes = jdbi.withHandle(h -> h.createQuery("SELECT sum(bytes) FROM deployment_log_chunks").mapTo(Long.class).one());
        assertThat(bytes).isLessThanOrEqualTo(10_000 + 200);
    }

    @Test
    void concurrentWriters_loseNothing_andChunksStayContiguous() throws Exception {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        int threads = 8;
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            for (int t = 0; t < threads; t++) {
                int id = t;
                pool.execute(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        log.line("t" + id + " " + i);
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        List<String> lines = texts(store.read(deployment.id()));
        assertThat(lines).hasSize(threads * perThread).doesNotHaveDuplicates();
        for (int t = 0; t < threads; t++) {
            String prefix = "t" + t + " ";
            List<Integer> mine = lines.stream().filter(l -> l.startsWith(prefix))
                    .map(l -> Integer.parseInt(l.substring(prefix.length()))).toList();
            assertThat(mine).isSorted().hasSize(perThread);
        }
        Long gaps = jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM (SELECT first_line, line_count,
                       lag(first_line + line_count) OVER (ORDER BY seq) AS expected FROM deployment_log_chunks) c
                WHERE expected IS NOT NULL AND expected <> first_line""").mapTo(Long.class).one());
        assertThat(gaps).isZero();
    }

    @Test
    void twoWritersOfOneLog_racingForChunkNumbers_loseNothing() throws Exception {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        BuildLog zombie = store.open(deployment.id(), UnaryOperator.identity());
        BuildLog successor = store.open(deployment.id(), UnaryOperator.identity());
        Thread a = new Thread(() -> {
            for (int i = 0; i < 600; i++) {
                zombie.line("z " + i);
            }
            zombie.close();
        });
        a.start();
        for (int i = 0; i < 600; i++) {
            successor.line("s " + i);
        }
        successor.close();
        a.join();
        assertThat(texts(store.read(deployment.id()))).hasSize(1200).doesNotHaveDuplicates();
    }

    @Test
    void aSecondWriter_forARetriedClaim_continuesAfterTheFirst() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog first = store.open(deployment.id(), UnaryOperator.identity())) {
            first.line("attempt 1");
        }
        try (BuildLog second = store.open(deployment.id(), UnaryOperator.identity())) {
            second.line("attempt 2");
        }
        assertThat(texts(store.read(deployment.id()))).containsExactly("attempt 1", "attempt 2");
    }

    @Test
    void idleLines_areFlushedWithoutClosing() throws Exception {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        log.line("still building");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> store.read(deployment.id()).contains("still building"));
        log.close();
    }
}
