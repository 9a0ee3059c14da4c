package com.vangoframework.rhone.web;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Dashboard users, their teams, sessions and one-time sign-in links (hashes only). */
public interface SessionDao {

    record User(long id, String login, String name, Long githubId) {
    }

    /** A live session with its user and the user's teams, read in one statement (every page asks). */
    record SessionRow(long userId, String login, String csrfToken, Long[] teamIds) {
    }

    @SqlQuery("""
            INSERT INTO users (login) VALUES (:login)
            ON CONFLICT (login) DO UPDATE SET login = excluded.login
            RETURNING id, login, name, github_id""")
    @RegisterConstructorMapper(User.class)
    User upsertUser(@Bind("login") String login);

    @SqlQuery("SELECT id, login, name, github_id FROM users WHERE login = :login")
    @RegisterConstructorMapper(User.class)
    Optional<User> userByLogin(@Bind("login") String login);

    @SqlQuery("SELECT id, login, name, github_id FROM users WHERE github_id = :githubId")
    @RegisterConstructorMapper(User.class)
    Optional<User> userByGithubId(@Bind("githubId") long githubId);

    /** A person named by {@code add-member}, with the GitHub account id GitHub gave for the login. */
    @SqlQuery("""
            INSERT INTO users (login, github_id, name) VALUES (:login, :githubId, :name)
            RETURNING id, login, name, github_id""")
    @RegisterConstructorMapper(User.class)
    User insertUser(@Bind("login") String login, @Bind("githubId") long githubId, @Bind("name") String name);

    /**
     * A user added while GitHub could not be asked gets the id {@code add-member} asked for now; a
     * stored id is never replaced (that would hand the person's teams to another account).
     */
    @SqlUpdate("UPDATE users SET github_id = :githubId, name = coalesce(:name, name) WHERE id = :id AND github_id IS NULL")
    int linkGithub(@Bind("id") long userId, @Bind("githubId") long githubId, @Bind("name") String name);

    /** The name GitHub shows for the person now (null keeps the one stored). */
    @SqlUpdate("UPDATE users SET name = :name WHERE id = :id AND :name IS NOT NULL AND name IS DISTINCT FROM :name")
    int updateName(@Bind("id") long userId, @Bind("name") String name);

    @SqlUpdate("INSERT INTO team_members (team_id, user_id) VALUES (:teamId, :userId) ON CONFLICT DO NOTHING")
    int addMember(@Bind("teamId") long teamId, @Bind("userId") long userId);

    /** A line of {@code list-members}. */
    record Member(String login, String name, Long githubId, String role, Instant addedAt) {
    }

    @SqlQuery("""
            SELECT u.login, u.name, u.github_id, m.role, m.created_at AS added_at
              FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = :teamId ORDER BY u.login""")
    @RegisterConstructorMapper(Member.class)
    List<Member> members(@Bind("teamId") long teamId);

    /**
     * Sessions read the user's teams on every request (see {@link #session}), so a removed member's
     * open sessions lose the team with the next request; nothing else needs revoking.
     */
    @SqlUpdate("DELETE FROM team_members WHERE team_id = :teamId AND user_id = :userId")
    int removeMember(@Bind("teamId") long teamId, @Bind("userId") long userId);

    @SqlQuery("SELECT team_id FROM team_members WHERE user_id = :userId ORDER BY team_id")
    List<Long> teamsOf(@Bind("userId") long userId);

    @SqlUpdate("INSERT INTO login_links (token_sha256, user_id, expires_at) VALUES (:hash, :userId, :expiresAt)")
    void insertLoginLink(@Bind("hash") byte[] hash, @Bind("userId") long userId, @Bind("expiresAt") Instant expiresAt);

    @SqlUpdate("DELETE FROM login_links WHERE expires_at <= :now")
    int deleteExpiredLoginLinks(@Bind("now") Instant now);

    /** Uses a link at most once, and only before it expires: the row is the lock. */
    @SqlQuery("""
            UPDATE login_links SET used_at = now()
             WHERE token_sha256 = :hash AND used_at IS NULL AND expires_at > :now
            RETURNING user_id""")
    Optional<Long> useLoginLink(@Bind("hash") byte[] hash, @Bind("now") Instant now);

    @SqlUpdate("""
            INSERT INTO web_sessions (id_sha256, user_id, csrf_token, expires_at)
            VALUES (:hash, :userId, :csrf, :expiresAt)""")
    void insertSession(@Bind("hash") byte[] hash, @Bind("userId") long userId, @Bind("csrf") String csrf,
                       @Bind("expiresAt") Instant expiresAt);

    @SqlQuery("""
            SELECT s.user_id, u.login, s.csrf_token,
                   ARRAY(SELECT m.team_id FROM team_members m WHERE m.user_id = s.user_id ORDER BY m.team_id) AS team_ids
              FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_sha256 = :hash AND s.expires_at > :now""")
    @RegisterConstructorMapper(SessionRow.class)
    Optional<SessionRow> session(@Bind("hash") byte[] hash, @Bind("now") Instant now);

    @SqlUpdate("DELETE FROM web_sessions WHERE id_sha256 = :hash")
    int deleteSession(@Bind("hash") byte[] hash);

    @SqlUpdate("DELETE FROM web_sessions WHERE expires_at <= :now")
    int deleteExpiredSessions(@Bind("now") Instant now);
}
