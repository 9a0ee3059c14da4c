package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.RhoneApplication;
import com.vangoframework.rhone.db.Database;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.pipeline.SecretMasker;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LogStoreTest {

    @RegisterExtension
    final TestThreads threads = new TestThreads();

    private DatabaseTarget target;
    private Jdbi jdbi;
    private Deployment deployment;

    @BeforeEach
    void setUp() {
        target = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(target);
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

    /**
     * A quiet build's line goes out at once, in a chunk of its own: no timer is involved (this
     * flusher refuses any task with a delay, as the 100 ms flush of a part-filled buffer was).
     */
    @Test
    void aLineWhileTheWriterIsIdle_isWrittenAtOnce_alone_withoutATimer() {
        ScheduledExecutorService noTimers = new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
            @Override
            public java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
                if (delay > 0) {
                    throw new AssertionError("a writer round was put off by " + unit.toMillis(delay) + " ms");
                }
                return super.schedule(task, delay, unit);
            }
        };
        try {
            LogStore store = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES,
                    Clock.systemUTC(), noTimers);
            try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
                log.line("compiling");
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> chunks() == 1);
                log.line("linking");
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> chunks() == 2);
            }
            assertThat(texts(store.read(deployment.id()))).containsExactly("compiling", "linking");
            assertThat(lineCounts()).containsExactly(1, 1);
        } finally {
            com.vangoframework.rhone.threads.NamedThreads.stopNow(noTimers, java.time.Duration.ofSeconds(5));
        }
    }

    /** Under load the writer batches: what comes while an insert is under way goes together in the next chunk. */
    @Test
    void linesThatComeWhileAChunkIsBeingWritten_goTogetherInTheNextChunk() throws Exception {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        try (Connection locker = lockChunks()) {
            log.line("first");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> insertsWaitingForALock() == 1);
            for (int i = 0; i < 10; i++) {
                log.line("while " + i);
            }
            locker.rollback();
        }
        log.close();
        assertThat(lineCounts()).containsExactly(1, 10);
        assertThat(texts(store.read(deployment.id()))).hasSize(11).startsWith("first", "while 0").endsWith("while 9");
    }

    private List<Integer> lineCounts() {
        return jdbi.withHandle(h -> h.createQuery("SELECT line_count FROM deployment_log_chunks WHERE deployment_id = ?"
                + " ORDER BY seq").bind(0, deployment.id()).mapTo(Integer.class).list());
    }

    /**
     * A round starts and, before it takes the log's lock, the buffer fills. With the 100 ms flush
     * (until the writer wrote an idle line at once), the line that filled it asked for a second
     * round, and two rounds once wrote the same chunk: on a live page, lines came twice and out of
     * order. Now the round on its way takes them all; this keeps it so. Made deterministic by
     * holding the log's lock while the round waits for it.
     */
    @Test
    void aFullBufferJustAsARoundStarts_storesEveryLineOnce() throws Exception {
        ScheduledExecutorService flusher = threads.scheduled("rhone-log-flusher", 2);
        LogStore store = new LogStore(jdbi.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                flusher);
        List<String> expected = new ArrayList<>();
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            synchronized (log) {
                log.line("line 0"); // asks for a round at once
                expected.add("line 0");
                awaitFlusherThreadsBlocked(1); // the round has started and waits for the lock
                for (int i = 1; i < BuildLog.FLUSH_LINES; i++) {
                    log.line("line " + i); // the last one fills the buffer
                    expected.add("line " + i);
                }
                Thread.sleep(200); // a second round, if one was scheduled, starts and waits for the lock too
            }
        }
        assertThat(texts(store.read(deployment.id()))).isEqualTo(expected);
    }

    /** Waits (bounded) until {@code count} log-flusher threads are blocked on a monitor. */
    private static void awaitFlusherThreadsBlocked(int count) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("rhone-log-flusher"))
                        .filter(t -> t.getState() == Thread.State.BLOCKED)
                        .count() >= count);
    }

    @Test
    void aNulByteAndOtherControls_areStoredAsVisibleSymbols_withTheRestOfTheLine() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            log.line("before\0after");
            log.line("bell\u0007 tab\t \u001b[31mred\u001b[0m \u001f");
            log.line("the next line");
        }
        assertThat(texts(store.read(deployment.id()))).containsExactly("before\u2400after",
                "bell\u2407 tab\t \u001b[31mred\u001b[0m \u241f", "the next line");
    }

    /** A quiet build's chunks hold a line each: the tail (the Check Run's text) is counted in bytes, not chunks. */
    @Test
    void theTailOfALogOfOneLineChunks_reachesBackAsFarAsItsSizeAllows() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            for (int i = 0; i < 20; i++) {
                log.line("step " + i);
                log.flush();
            }
        }
        assertThat(chunks()).isEqualTo(20);
        assertThat(texts(store.tail(deployment.id(), 10_000))).hasSize(20).startsWith("step 0").endsWith("step 19");
        assertThat(texts(store.tail(deployment.id(), 80))).as("about 80 characters: the last lines")
                .isNotEmpty().hasSizeLessThan(20).endsWith("step 19");
    }

    @Test
    void aChunkTheDatabaseRefuses_isDroppedWithAVisibleLine_andLaterLinesAreStored() {
        // A real refusal (SQLSTATE 23514) now that a NUL no longer causes one.
        jdbi.useHandle(h -> h.execute("ALTER TABLE deployment_log_chunks ADD CONSTRAINT no_poison"
                + " CHECK (content NOT LIKE '%poison%')"));
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            log.line("first");
            log.flush();
            log.line("poison 1");
            log.line("poison 2");
            log.flush();
            for (int i = 0; i < 600; i++) {
                log.line("after " + i);
            }
        }
        List<String> lines = texts(store.read(deployment.id()));
        // The two poison lines go in one chunk or two (a line is written at once when the writer
        // is idle): one marker of 2 lines, or one of 1 line each; either way none is stored.
        java.util.regex.Pattern marker = java.util.regex.Pattern.compile(
                "\\[(\\d+) lines? could not be stored: the database refused them \\(SQLSTATE 23514\\)\\]");
        List<String> markers = lines.subList(1, lines.size() - 600);
        assertThat(lines.get(0)).isEqualTo("first");
        assertThat(markers).isNotEmpty().allMatch(l -> marker.matcher(l).matches());
        assertThat(markers.stream().mapToInt(l -> {
            java.util.regex.Matcher m = marker.matcher(l);
            return m.matches() ? Integer.parseInt(m.group(1)) : 0;
        }).sum()).isEqualTo(2);
        assertThat(lines.subList(lines.size() - 600, lines.size())).startsWith("after 0").endsWith("after 599");
        assertThat(lines).noneMatch(l -> l.contains("poison"));
        assertThat(gapsInLineNumbers()).isZero();
    }

    @Test
    void whileAnInsertHangsOnALockedTable_appendingLinesDoesNotWaitForIt() throws Exception {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        try (Connection locker = lockChunks()) {
            // More than a chunk: the writer starts an insert, which waits for the lock.
            assertAppendsWithoutWaiting(log, "before", 300);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> insertsWaitingForALock() == 1);
            // What the process reader does meanwhile: many more lines, none of them waiting.
            assertAppendsWithoutWaiting(log, "while", 20_000);
            assertThat(insertsWaitingForALock()).as("the insert still waits").isEqualTo(1);
            assertThat(chunks()).isZero();
            locker.rollback();
        }
        log.close();
        List<String> lines = texts(store.read(deployment.id()));
        assertThat(lines).hasSize(20_300).startsWith("before 0").endsWith("while 19999")
                .noneMatch(l -> l.contains("could not be stored"));
    }

    @Test
    void aTransientFailure_isTriedAgainAfterGrowingPauses_andTheLinesLand() throws Exception {
        List<Long> failures = new CopyOnWriteArrayList<>();
        LogStore store = impatientStore(failures);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        try (Connection locker = lockChunks()) {
            assertAppendsWithoutWaiting(log, "line", 300);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> failures.size() >= 3);
            locker.rollback();
        }
        log.close();
        assertThat(texts(store.read(deployment.id()))).hasSize(300).startsWith("line 0").endsWith("line 299");
        assertThat(failures).hasSizeLessThan(BuildLog.MAX_ATTEMPTS);
        // Lower bounds only: a pause is never shorter than scheduled (the upper end is the machine's).
        long pause = BuildLog.FIRST_PAUSE_MILLIS;
        for (int i = 1; i < 3; i++, pause *= 2) {
            assertThat(failures.get(i) - failures.get(i - 1)).as("pause before try %d", i + 1)
                    .isGreaterThanOrEqualTo(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(pause));
        }
    }

    @Test
    void aDatabaseDownPastTheLastTry_dropsTheLinesWithAVisibleLine_andGoesOnWhenItIsBack() throws Exception {
        List<Long> failures = new CopyOnWriteArrayList<>();
        LogStore store = impatientStore(failures);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        try (Connection locker = lockChunks()) {
            for (int i = 0; i < 10; i++) {
                log.line("lost " + i);
            }
            log.flush(); // returns once the writer has given up: the tries are bounded
            assertThat(failures).hasSize(BuildLog.MAX_ATTEMPTS);
            locker.rollback();
        }
        log.line("back");
        log.close();
        assertThat(texts(store.read(deployment.id())))
                .containsExactly("[10 lines could not be stored: the database did not answer]", "back");
    }

    @Test
    void aDatabaseOutOfReach_keepsTheLinesPastTheLastTry_andStoresThemInOrderWhenItAnswers() throws Exception {
        try (DatabaseProxy proxy = new DatabaseProxy(target)) {
            // The writer's only connections are through the proxy: every refused one is a try.
            LogStore store = new LogStore(TestPostgres.jdbi(proxy.target()).onDemand(LogChunkDao.class),
                    LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(), threads.scheduled("rhone-log-flusher"));
            BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
            log.line("before");
            log.flush();
            proxy.cut();
            for (int i = 0; i < 10; i++) {
                log.line("kept " + i);
            }
            log.close(); // returns: the lines wait for the database, not the build
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> proxy.refused() > BuildLog.MAX_ATTEMPTS);
            assertThat(store.awaitStored(deployment.id(), java.time.Duration.ZERO)).isFalse();
            proxy.restore();
            assertThat(store.awaitStored(deployment.id(), java.time.Duration.ofSeconds(20))).isTrue();
        }
        List<String> expected = new java.util.ArrayList<>(List.of("before"));
        for (int i = 0; i < 10; i++) {
            expected.add("kept " + i);
        }
        assertThat(texts(store(LogStore.DEFAULT_CAP_BYTES).read(deployment.id()))).containsExactlyElementsOf(expected);
    }

    @Test
    void aHeldLog_writesNothingUntilReleased_andADiscardedOneNothingAtAll() {
        LogStore store = store(LogStore.DEFAULT_CAP_BYTES);
        store.hold(deployment.id());
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            log.line("held");
        }
        assertThat(store.awaitStored(deployment.id(), java.time.Duration.ofMillis(300))).isFalse();
        assertThat(store.read(deployment.id())).isEmpty();
        store.release(deployment.id());
        assertThat(store.awaitStored(deployment.id(), java.time.Duration.ofSeconds(20))).isTrue();
        assertThat(texts(store.read(deployment.id()))).containsExactly("held");

        store.hold(deployment.id());
        BuildLog second = store.open(deployment.id(), UnaryOperator.identity());
        second.line("another node has the build");
        store.discard(deployment.id());
        second.line("after the discard");
        second.close();
        store.release(deployment.id());
        assertThat(store.awaitStored(deployment.id(), java.time.Duration.ofSeconds(20))).isTrue();
        assertThat(texts(store.read(deployment.id()))).containsExactly("held");
    }

    /** Appends {@code n} lines on another thread and checks they were all taken within a generous bound. */
    private static void assertAppendsWithoutWaiting(BuildLog log, String prefix, int n) throws InterruptedException {
        Thread appender = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                log.line(prefix + " " + i);
            }
        }, "test-appender");
        appender.start();
        appender.join(30_000);
        assertThat(appender.isAlive()).as("the appender is still waiting").isFalse();
    }

    /** A transaction holding the chunk table in EXCLUSIVE mode: reads go on, inserts wait. */
    private Connection lockChunks() throws SQLException {
        Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE deployment_log_chunks IN EXCLUSIVE MODE");
        }
        return c;
    }

    private long insertsWaitingForALock() {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                   AND query LIKE '%INSERT INTO deployment_log_chunks%'""").mapTo(Long.class).one());
    }

    /**
     * A store whose connections give up on a lock after 50 ms (SQLSTATE 55P03, a failure a retry
     * can cure), noting when each of its statements failed.
     */
    private LogStore impatientStore(List<Long> failures) {
        Properties props = new Properties();
        props.setProperty("user", target.user());
        props.setProperty("password", target.password());
        props.setProperty("options", "-c lock_timeout=50");
        Jdbi impatient = Database.configure(Jdbi.create(target.jdbcUrl(), props), RhoneApplication.JDBI);
        impatient.setSqlLogger(new SqlLogger() {
            @Override
            public void logException(StatementContext context, SQLException ex) {
                failures.add(System.nanoTime());
            }
        });
        return new LogStore(impatient.onDemand(LogChunkDao.class), LogStore.DEFAULT_CAP_BYTES, Clock.systemUTC(),
                threads.scheduled("rhone-log-flusher"));
    }

    private long gapsInLineNumbers() {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM (SELECT first_line, line_count,
                       lag(first_line + line_count) OVER (ORDER BY seq) AS expected FROM deployment_log_chunks) c
                WHERE expected IS NOT NULL AND expected <> first_line""").mapTo(Long.class).one());
    }
}
