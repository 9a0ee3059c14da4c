package com.vangoframework.rhone.web;

import com.vangoframework.rhone.db.DatabaseUnavailable;
import com.vangoframework.rhone.threads.FailureStreak;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of requests answered 503 because the database was out of reach: during an outage every
 * request would otherwise write a line, so the first is logged, then one line a minute with the
 * count. One per process: the API's mapper and the streams' filter answer the same outage.
 */
final class DatabaseRefusals {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseRefusals.class);
    private static final FailureStreak STREAK = FailureStreak.oneLine(LOG,
            "Requests that need the database (answered 503)", Clock.systemUTC(), FailureStreak.EVERY);

    private DatabaseRefusals() {
    }

    /** {@code rawPath} undecoded, so it cannot carry a line break into the log. */
    static void refused(String rawPath, Throwable cause) {
        STREAK.failed(cause, rawPath + ": " + DatabaseUnavailable.reason(cause));
    }
}
