package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.vangoframework.rhone.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class StoredTextTest {

    @Test
    void nulAndTheOtherC0Controls_becomeTheirControlPictures() {
        StringBuilder all = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            all.append(c);
            boolean kept = c == '\t' || c == '\n' || c == '\r' || c == 0x1b;
            expected.append(kept ? c : (char) (0x2400 + c));
        }
        assertThat(StoredText.clean(all.toString())).isEqualTo(expected.toString());
        assertThat(StoredText.clean("a\0b")).isEqualTo("a\u2400b");
    }

    @Test
    void tabLineBreaksEscapeAndEverythingPastC0_stayAsTheyAre() {
        String text = "col\tcol\r\nnext \u001b[1mbold\u001b[0m DEL\u007f \u0085 é 😀";
        assertThat(StoredText.clean(text)).isSameAs(text);
        assertThat(StoredText.clean(null)).isNull();
    }

    @Test
    void aNulInsertedIntoPostgres_isAPermanentFailure_andItsCleanedTextIsAccepted() throws Exception {
        try (Connection c = connect()) {
            SQLException refused = (SQLException) catchThrowable(() -> insert(c, "a\0b"));
            assertThat(refused.getSQLState()).startsWith("22");
            assertThat(StoredText.isPermanent(new RuntimeException("wrapped", refused))).isTrue();
            insert(c, StoredText.clean("a\0b"));
        }
    }

    @Test
    void aCheckViolation_isPermanent_butAUniqueViolation_isARaceToRetry() throws Exception {
        try (Connection c = connect()) {
            insert(c, "taken");
            SQLException check = (SQLException) catchThrowable(() -> insert(c, ""));
            SQLException unique = (SQLException) catchThrowable(() -> insert(c, "taken"));
            assertThat(check.getSQLState()).isEqualTo("23514");
            assertThat(StoredText.isPermanent(check)).isTrue();
            assertThat(unique.getSQLState()).isEqualTo("23505");
            assertThat(StoredText.isPermanent(unique)).isFalse();
        }
    }

    @Test
    void aLockTimeout_isNotPermanent() throws Exception {
        try (Connection holder = connect(); Connection impatient = connect()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.execute("LOCK TABLE stored_text IN EXCLUSIVE MODE");
            }
            try (Statement s = impatient.createStatement()) {
                s.execute("SET lock_timeout = 50");
            }
            SQLException timedOut = (SQLException) catchThrowable(() -> insert(impatient, "later"));
            assertThat(timedOut.getSQLState()).isEqualTo("55P03");
            assertThat(StoredText.isPermanent(timedOut)).isFalse();
            assertThat(StoredText.isPermanent(new IllegalStateException("no SQL in it"))).isFalse();
        }
    }

    private static DatabaseTarget target;

    private static synchronized Connection connect() throws SQLException {
        if (target == null) {
            target = TestPostgres.emptyDatabase();
            try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE stored_text (t text PRIMARY KEY CHECK (t <> ''))");
            }
        }
        return DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
    }

    private static void insert(Connection c, String text) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO stored_text VALUES (?)")) {
            s.setString(1, text);
            s.executeUpdate();
        }
    }
}
