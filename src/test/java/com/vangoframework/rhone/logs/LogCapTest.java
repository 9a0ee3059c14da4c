package com.vangoframework.rhone.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.pipeline.SecretMasker;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestThreads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The log cap keeps both ends of a long log: the head as it comes, then, when the build ends, a
 * marker saying how many lines were left out and the last lines (the error among them).
 */
class LogCapTest {

    /** Small enough that a thousand lines pass it many times over. */
    static final long CAP = 20_000;
    static final String ERROR = "error: the image build failed: process did not complete successfully: exit code: 3";
    static final Pattern MARKER = Pattern.compile("\\[([\\d,]+) lines \\((\\d+(\\.\\d)? KiB)\\) left out:"
            + " the log passed its cap of 19\\.5 KiB; its last lines follow]");
    static final Pattern STEP = Pattern.compile("step output (\\d{4}) x+");

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
        return new LogStore(jdbi.onDemand(LogChunkDao.class), cap, new TickingClock(),
                threads.scheduled("rhone-log-flusher"));
    }

    private static String step(int i) {
        return String.format(Locale.ROOT, "step output %04d %s", i, "x".repeat(60));
    }

    /** What a long failing build prints: a thousand lines of output (about 103 KB stored), then its error. */
    private static void printLongFailingBuild(BuildLog log) {
        for (int i = 0; i < 1000; i++) {
            log.line(step(i));
        }
        log.line(ERROR);
    }

    private static List<String> texts(String log) {
        return log.lines().map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    private static int number(String stepLine) {
        Matcher m = STEP.matcher(stepLine);
        assertThat(m.matches()).as("a step line: %s", stepLine).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void pastTheCap_theHeadTheLastLinesAndTheError_areStoredAfterAMarker_withTheExactLeftOutCount() {
        LogStore store = store(CAP);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            printLongFailingBuild(log);
        }
        String stored = store.read(deployment.id());
        List<String> lines = texts(stored);

        int notice = noticeAt(lines);
        List<String> head = lines.subList(0, notice);
        assertThat(head).isNotEmpty().containsExactlyElementsOf(
                IntStream.range(0, head.size()).mapToObj(LogCapTest::step).toList());

        Matcher marker = MARKER.matcher(lines.get(notice + 1));
        assertThat(marker.matches()).as("the line after the notice: %s", lines.get(notice + 1)).isTrue();
        List<String> tail = lines.subList(notice + 2, lines.size());
        assertThat(tail).last().isEqualTo(ERROR);
        List<String> tailSteps = tail.subList(0, tail.size() - 1);
        int firstKept = number(tailSteps.get(0));
        assertThat(tailSteps).as("the last lines, in order, up to the very last one")
                .hasSizeGreaterThan(50)
                .containsExactlyElementsOf(IntStream.range(firstKept, 1000).mapToObj(LogCapTest::step).toList());
        assertThat(Integer.parseInt(marker.group(1).replace(",", ""))).as("the lines between head and tail")
                .isEqualTo(firstKept - head.size());

        assertThat(storedBytes()).isLessThanOrEqualTo(CAP);
        assertThat(gapsInLineNumbers()).isZero();
        assertThat(storedLineCount()).isEqualTo(lines.size());
        // The marker takes the time of the first line it introduces: times never go backwards.
        List<String> stamps = stored.lines().map(l -> l.substring(0, l.indexOf(' '))).toList();
        assertThat(stamps.stream().map(Instant::parse).toList()).isSorted();
        assertThat(stamps.get(notice + 1)).isEqualTo(stamps.get(notice + 2));
    }

    @Test
    void aSecretInTheLastLines_isMaskedWhenTheTailIsStored() {
        LogStore store = store(CAP);
        try (BuildLog log = store.open(deployment.id(), new SecretMasker(List.of("hunter2-password")))) {
            printLongFailingBuild(log);
            log.line("pushing with hunter2-password");
        }
        String stored = store.read(deployment.id());
        assertThat(stored).doesNotContain("hunter2").contains("left out");
        assertThat(texts(stored)).endsWith(ERROR, "pushing with ****");
    }

    @Test
    void aLogWithinTheHead_isStoredExactlyAsPrinted() {
        LogStore store = store(CAP);
        List<String> printed = IntStream.range(0, 80).mapToObj(LogCapTest::step).toList(); // 8.2 KB: within 10,000
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            printed.forEach(log::line);
        }
        assertThat(texts(store.read(deployment.id()))).containsExactlyElementsOf(printed);
    }

    @Test
    void aLogPastTheHeadButWithinTheCap_keepsEveryLine_afterOneNotice_andNoMarker() {
        LogStore store = store(CAP);
        List<String> printed = IntStream.range(0, 170).mapToObj(LogCapTest::step).toList(); // 17.5 KB
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            printed.forEach(log::line);
        }
        List<String> lines = texts(store.read(deployment.id()));
        int notice = noticeAt(lines);
        List<String> withoutNotice = new ArrayList<>(lines);
        withoutNotice.remove(notice);
        assertThat(withoutNotice).containsExactlyElementsOf(printed);
        assertThat(lines).noneMatch(l -> l.contains("left out"));
    }

    @Test
    void whileTheBuildRunsPastTheHead_viewersHaveTheHeadAndTheNotice_andTheRestComesAtTheEnd() {
        LogStore store = store(CAP);
        BuildLog log = store.open(deployment.id(), UnaryOperator.identity());
        for (int i = 0; i < 500; i++) {
            log.line(step(i));
        }
        log.flush();
        List<String> live = texts(store.read(deployment.id()));
        int notice = noticeAt(live);
        assertThat(live).hasSize(notice + 1);
        assertThat(live.get(notice)).isEqualTo(
                "[the log passed 9.8 KiB, half its cap of 19.5 KiB: later lines are stored when the build ends "
                        + "(only the last 9.3 KiB of them if there are more)]");

        log.line(ERROR);
        log.close();
        List<String> done = texts(store.read(deployment.id()));
        assertThat(done.subList(0, live.size())).as("what viewers saw stays as it was").isEqualTo(live);
        assertThat(done.get(live.size())).matches(MARKER);
        assertThat(done).endsWith(step(498), step(499), ERROR);
    }

    @Test
    void theCheckRunsTail_showsTheLastLinesAndTheError_pastTheCap() {
        LogStore store = store(CAP);
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            printLongFailingBuild(log);
        }
        assertThat(texts(store.tail(deployment.id(), 2000))).endsWith(step(998), step(999), ERROR);
    }

    @Test
    void aLogHeldPastTheCap_storesHeadMarkerAndTailWhenReleased_andADiscardedOneNothing() {
        LogStore store = store(CAP);
        store.hold(deployment.id());
        try (BuildLog log = store.open(deployment.id(), UnaryOperator.identity())) {
            printLongFailingBuild(log);
        }
        assertThat(store.read(deployment.id())).isEmpty();
        store.release(deployment.id());
        assertThat(store.awaitStored(deployment.id(), Duration.ofSeconds(20))).isTrue();
        List<String> lines = texts(store.read(deployment.id()));
        assertThat(lines.get(noticeAt(lines) + 1)).matches(MARKER);
        assertThat(lines).endsWith(step(999), ERROR);
        assertThat(gapsInLineNumbers()).isZero();

        Fixtures fx = new Fixtures(jdbi);
        Deployment other = fx.pending(fx.app(fx.team("globex"), "api"));
        store.hold(other.id());
        BuildLog lost = store.open(other.id(), UnaryOperator.identity());
        printLongFailingBuild(lost);
        store.discard(other.id());
        lost.close();
        store.release(other.id());
        assertThat(store.awaitStored(other.id(), Duration.ofSeconds(20))).isTrue();
        assertThat(store.read(other.id())).isEmpty();
    }

    @Test
    void aRetriedClaimAfterACappedAttempt_storesItsOwnLinesAfterTheFirst() {
        LogStore store = store(CAP);
        try (BuildLog first = store.open(deployment.id(), UnaryOperator.identity())) {
            printLongFailingBuild(first);
        }
        int before = texts(store.read(deployment.id())).size();
        try (BuildLog second = store.open(deployment.id(), UnaryOperator.identity())) {
            second.line("attempt 2 starts");
            second.line("attempt 2 pushed");
        }
        List<String> lines = texts(store.read(deployment.id()));
        // Already past the head: its lines wait for the end, after a notice saying so.
        assertThat(lines.subList(before, lines.size())).hasSize(3).endsWith("attempt 2 starts", "attempt 2 pushed");
        assertThat(lines.get(before)).startsWith("[the log passed 9.8 KiB");
        assertThat(gapsInLineNumbers()).isZero();
    }

    private static int noticeAt(List<String> lines) {
        List<Integer> at = IntStream.range(0, lines.size())
                .filter(i -> lines.get(i).startsWith("[the log passed 9.8 KiB, half its cap of 19.5 KiB"))
                .boxed().toList();
        assertThat(at).as("one notice where the head ends").hasSize(1);
        return at.get(0);
    }

    private long storedBytes() {
        return jdbi.withHandle(h -> h.createQuery("SELECT sum(bytes) FROM deployment_log_chunks"
                + " WHERE deployment_id = ?").bind(0, deployment.id()).mapTo(Long.class).one());
    }

    private long storedLineCount() {
        return jdbi.withHandle(h -> h.createQuery("SELECT coalesce(max(first_line + line_count), 0)"
                + " FROM deployment_log_chunks WHERE deployment_id = ?").bind(0, deployment.id())
                .mapTo(Long.class).one());
    }

    private long gapsInLineNumbers() {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*) FROM (SELECT first_line, line_count,
                       lag(first_line + line_count) OVER (PARTITION BY deployment_id ORDER BY seq) AS expected
                  FROM deployment_log_chunks) c
                WHERE expected IS NOT NULL AND expected <> first_line""").mapTo(Long.class).one());
    }

    /** A clock a millisecond later at every look, so each line has its own time stamp. */
    private static final class TickingClock extends Clock {
        private final AtomicLong millis = new AtomicLong(Instant.parse("2026-12-02T12:00:00Z").toEpochMilli());

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.incrementAndGet());
        }
    }
}
