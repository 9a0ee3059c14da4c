package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.ApiTokens;
import com.vangoframework.rhone.db.StoredText;
import com.vangoframework.rhone.github.GitHubOAuth;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dashboard sessions, one-time sign-in links, and who a GitHub account signs in (by id only). Session ids,
 * link tokens and CSRF tokens are 256 random bits; only the SHA-256 of an id or a token is
 * stored, so a copy of the database signs nobody in.
 */
public final class Sessions {

    public static final String COOKIE = "rhone_session";
    public static final Duration SESSION_LIFETIME = Duration.ofDays(14);
    public static final Duration LINK_LIFETIME = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

    private final Jdbi jdbi;
    private final Clock clock;

    public Sessions(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** A new one-time sign-in token for the user (the caller builds the URL). */
    public String createLoginLink(long userId) {
        String token = random();
        jdbi.useExtension(SessionDao.class, dao -> {
            dao.deleteExpiredLoginLinks(clock.instant());
            dao.insertLoginLink(ApiTokens.sha256(token), userId, clock.instant().plus(LINK_LIFETIME));
        });
        return token;
    }

    /** The user a link signs in, once: a used, expired or unknown token gives nothing. */
    public Optional<Long> useLoginLink(String token) {
        if (!wellFormed(token)) {
            return Optional.empty();
        }
        return jdbi.withExtension(SessionDao.class, dao -> dao.useLoginLink(ApiTokens.sha256(token), clock.instant()));
    }

    /**
     * The user a GitHub account signs in: the one {@code add-member} stored this account's id for,
     * and nobody else. A login match alone signs nobody in, not even a user whose id is not known
     * yet: GitHub gives a login its holder renamed away from to whoever registers it next, and
     * that account would get the member's teams. Nobody who is a member of no team either.
     */
    public Optional<Long> userFor(GitHubOAuth.Account account) {
        return jdbi.inTransaction(h -> {
            SessionDao dao = h.attach(SessionDao.class);
            Optional<SessionDao.User> found = dao.userByGithubId(account.id());
            found.ifPresent(u -> dao.updateName(u.id(), StoredText.clean(account.name())));
            if (found.isEmpty() && dao.userByLogin(account.login()).filter(u -> u.githubId() == null).isPresent()) {
                LOG.info("GitHub account {} ({}) has the login of a user whose GitHub account id is not stored;"
                        + " not signed in (add-member stores the id, login-link signs the user in)",
                        account.id(), account.login());
            }
            return found.map(SessionDao.User::id).filter(id -> !dao.teamsOf(id).isEmpty());
        });
    }

    /** Starts a session; returns its id for the cookie. */
    public String create(long userId) {
        String id = random();
        jdbi.useExtension(SessionDao.class, dao -> {
            dao.deleteExpiredSessions(clock.instant());
            dao.insertSession(ApiTokens.sha256(id), userId, random(), clock.instant().plus(SESSION_LIFETIME));
        });
        return id;
    }

    public Optional<Viewer> viewer(String sessionId) {
        if (!wellFormed(sessionId)) {
            return Optional.empty();
        }
        return jdbi.withExtension(SessionDao.class, dao -> dao.session(ApiTokens.sha256(sessionId), clock.instant()))
                .map(s -> new Viewer(s.userId(), s.login(), new LinkedHashSet<>(Arrays.asList(s.teamIds())),
                        s.csrfToken()));
    }

    public void end(String sessionId) {
        if (wellFormed(sessionId)) {
            jdbi.useExtension(SessionDao.class, dao -> dao.deleteSession(ApiTokens.sha256(sessionId)));
        }
    }

    /** Constant-time comparison of a submitted CSRF token with the session's. */
    public static boolean csrfMatches(Viewer viewer, String submitted) {
        return submitted != null && MessageDigest.isEqual(viewer.csrfToken().getBytes(
                java.nio.charset.StandardCharsets.UTF_8), submitted.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The session cookie's value on a request that does not go through JAX-RS (the streams), or null. */
    public static String cookie(jakarta.servlet.http.HttpServletRequest request) {
        if (request.getCookies() == null) {
            return null;
        }
        for (jakarta.servlet.http.Cookie c : request.getCookies()) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static boolean wellFormed(String value) {
        return value != null && value.length() == 43
                && value.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '-' || c == '_');
    }
}
