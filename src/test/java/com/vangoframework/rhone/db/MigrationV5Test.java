package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** V5 on a database that already holds logs written by the earlier code. */
class MigrationV5Test {

    @Test
    void lineBreaksInsideOldStoredLines_becomeSpaces_andEveryStoredLineIsOneLine() {
        DatabaseTarget db = TestPostgres.emptyDatabase();
        Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).locations("classpath:db/migration")
                .target("4").load().migrate();
        Jdbi jdbi = Jdbi.create(db.jdbcUrl(), db.user(), db.password());
        // Before V5 a stored line could hold a multi-line message (here: line 2 of 3 has a LF, a
        // CRLF and a lone CR inside it).
        String old = "2026-11-01T10:00:00.000001Z first\n"
                + "2026-11-01T10:00:01Z error: step failed\n  at line 3\r\n  at line 4\rprogress 50%\n"
                + "2026-11-01T10:00:02Z last";
        jdbi.useHandle(h -> {
            long team = h.createQuery("INSERT INTO teams (slug, name) VALUES ('t', 'T') RETURNING id")
                    .mapTo(Long.class).one();
            long app = h.createQuery("INSERT INTO apps (team_id, slug, git_url, branch) VALUES (?, 'a', "
                    + "'https://x.test/a.git', 'main') RETURNING id").bind(0, team).mapTo(Long.class).one();
            long d = h.createQuery("INSERT INTO deployments (app_id, trigger, branch) VALUES (?, 'manual', 'main') "
                    + "RETURNING id").bind(0, app).mapTo(Long.class).one();
            h.execute("INSERT INTO deployment_log_chunks (deployment_id, seq, first_line, line_count, bytes, content) "
                    + "VALUES (?, 0, 0, 3, ?, ?)", d, old.length(), old);
        });

        Database.migrate(db);

        String now = jdbi.withHandle(h -> h.createQuery("SELECT content FROM deployment_log_chunks")
                .mapTo(String.class).one());
        assertThat(now).isEqualTo("2026-11-01T10:00:00.000001Z first\n"
                + "2026-11-01T10:00:01Z error: step failed   at line 3   at line 4 progress 50%\n"
                + "2026-11-01T10:00:02Z last");
        assertThat(now.split("\n")).hasSize(3);
    }
}
