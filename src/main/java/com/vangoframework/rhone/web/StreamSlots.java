package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.ApiTokens;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;

/**
 * The live streams (build logs and live app pages) open on this node, counted three ways: in all
 * (each holds a request thread), per dashboard session, and per team whose data a stream shows,
 * so that one session, or one team's many viewers, cannot hold every stream of the node. A log
 * stream and one app's page count against the app's team; the list of every app counts against
 * each of the viewer's teams. A stream counts from {@link #admit} until its {@link Slot} closes,
 * whichever way it ends.
 */
public final class StreamSlots {

    /** Past the node's cap the viewer is told to come back soon: it is nobody's fault. */
    static final int NODE_RETRY_SECONDS = 5;
    /** Past a session's or a team's cap, later: a stream must end first. */
    static final int CAP_RETRY_SECONDS = 30;

    private final int perNode;
    private final int perSession;
    private final int perTeam;
    /** A team's name for a refusal (its slug); asked only then. */
    private final LongFunction<String> teamName;
    // All guarded by this.
    private int open;
    private final Map<String, Integer> bySession = new HashMap<>();
    private final Map<Long, Integer> byTeam = new HashMap<>();

    public StreamSlots(int perNode, int perSession, int perTeam, LongFunction<String> teamName) {
        this.perNode = perNode;
        this.perSession = perSession;
        this.perTeam = perTeam;
        this.teamName = teamName;
    }

    /** A stream let in, or why not (status, Retry-After seconds and sentence). */
    record Admission(Slot slot, int status, int retryAfterSeconds, String refusal) {
        boolean admitted() {
            return slot != null;
        }
    }

    /** What an open stream holds; closing it twice gives back once. */
    final class Slot implements AutoCloseable {
        private final String session;
        private final Set<Long> teams;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Slot(String session, Set<Long> teams) {
            this.session = session;
            this.teams = teams;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(session, teams);
            }
        }
    }

    /** Lets a stream of {@code sessionCookie} showing {@code teams}' data in, or says why not. */
    Admission admit(String sessionCookie, Set<Long> teams) {
        String session = key(sessionCookie);
        long fullTeam;
        synchronized (this) {
            if (open >= perNode) {
                return refused(503, NODE_RETRY_SECONDS, "too many live pages and logs are open on this node; "
                        + "retrying shortly");
            }
            if (bySession.getOrDefault(session, 0) >= perSession) {
                return refused(429, CAP_RETRY_SECONDS, "this session already has " + perSession
                        + " live pages and logs open on this node; close some tabs");
            }
            fullTeam = teams.stream().filter(id -> byTeam.getOrDefault(id, 0) >= perTeam).findFirst().orElse(-1L);
            if (fullTeam < 0) {
                open++;
                bySession.merge(session, 1, Integer::sum);
                teams.forEach(id -> byTeam.merge(id, 1, Integer::sum));
                return new Admission(new Slot(session, Set.copyOf(teams)), 200, 0, null);
            }
        }
        // Named outside the lock: it reads the database.
        return refused(429, CAP_RETRY_SECONDS, "team " + teamName.apply(fullTeam) + " already has " + perTeam
                + " live pages and logs open on this node; try again when some are closed");
    }

    private synchronized void release(String session, Set<Long> teams) {
        open--;
        bySession.computeIfPresent(session, (k, n) -> n == 1 ? null : n - 1);
        teams.forEach(id -> byTeam.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1));
    }

    private static Admission refused(int status, int retryAfter, String sentence) {
        return new Admission(null, status, retryAfter, sentence);
    }

    /** Sessions are counted by a digest of the cookie: the cookie itself is kept nowhere. */
    private static String key(String sessionCookie) {
        return HexFormat.of().formatHex(ApiTokens.sha256(sessionCookie));
    }
}
