package com.vangoframework.rhone.threads;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FailureStreakTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("failure-streak-test");
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Instant now = Instant.parse("2026-12-02T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @BeforeEach
    void capture() {
        logged.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
    }

    private static RuntimeException outage() {
        return new RuntimeException("statement failed", new SQLException("Connection to 127.0.0.1:5432 refused.\n"
                + "Check that the hostname and port are correct", "08001"));
    }

    private void advance(Duration d) {
        now = now.plus(d);
    }

    @Test
    void pollFailingEveryFiveSecondsForThreeMinutes_logsOneStackTrace_oneLinePerMinute_andOneOnRecovery() {
        FailureStreak streak = FailureStreak.of(logger, "Claiming a build", clock);
        for (int i = 0; i < 36; i++) { // 36 polls, 5 s apart: 0 s to 175 s
            streak.failed(outage());
            advance(Duration.ofSeconds(5));
        }
        streak.succeeded();
        streak.succeeded(); // working on: nothing more to say

        List<ILoggingEvent> events = logged.list;
        assertThat(events).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "Claiming a build failed: SQLSTATE 08001: Connection to 127.0.0.1:5432 refused; while it keeps "
                        + "failing, one line per 60 s follows",
                "Claiming a build is still failing: 13 failures in 60 s, 12 since the last line (latest: "
                        + "SQLSTATE 08001: Connection to 127.0.0.1:5432 refused)",
                "Claiming a build is still failing: 25 failures in 120 s, 12 since the last line (latest: "
                        + "SQLSTATE 08001: Connection to 127.0.0.1:5432 refused)",
                "Claiming a build works again after 36 failures in 180 s");
        assertThat(events.get(0).getThrowableProxy()).as("the first failure keeps its stack trace").isNotNull();
        assertThat(events.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(events.subList(1, 4)).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
        assertThat(events.get(3).getLevel()).isEqualTo(Level.INFO);
        assertThat(streak.failures()).isZero();
    }

    @Test
    void aSecondOutage_startsANewStreak_withItsOwnStackTrace() {
        FailureStreak streak = FailureStreak.of(logger, "Renewing build leases", clock);
        streak.failed(outage());
        advance(Duration.ofSeconds(1));
        streak.succeeded();
        advance(Duration.ofSeconds(1));
        streak.failed(outage());

        assertThat(logged.list).hasSize(3);
        assertThat(logged.list.get(2).getThrowableProxy()).isNotNull();
        assertThat(logged.list.get(2).getFormattedMessage()).startsWith("Renewing build leases failed: ");
    }

    @Test
    void oneLineStreak_withoutASuccessSignal_endsAfterAQuietMinute_andNeverLogsAStackTrace() {
        FailureStreak streak = FailureStreak.oneLine(logger, "Requests (answered 503)", clock, Duration.ofMinutes(1));
        for (int i = 0; i < 100; i++) {
            streak.failed(outage(), "/api/apps: 08001");
            advance(Duration.ofMillis(100));
        }
        advance(Duration.ofMinutes(2));
        streak.failed(outage(), "/api/apps: 08001");

        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "Requests (answered 503) failed: /api/apps: 08001; while it keeps failing, one line per 60 s follows",
                "Requests (answered 503) failed 100 times in 9 s, then not for 60 s",
                "Requests (answered 503) failed: /api/apps: 08001; while it keeps failing, one line per 60 s follows");
        assertThat(logged.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    }
}
