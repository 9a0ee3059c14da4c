package com.vangoframework.rhone.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.vangoframework.rhone.testing.DatabaseProxy;
import com.vangoframework.rhone.testing.TestPostgres;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SessionLocksTest {

    @Test
    void aLockHeldByOneSession_isRefusedToAnother_untilUnlocked() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        try (SessionLocks nodeA = new SessionLocks(db, "node-a"); SessionLocks nodeB = new SessionLocks(db, "node-b")) {
            assertThat(nodeA.tryLock(7, 42)).isTrue();
            assertThat(nodeB.tryLock(7, 42)).isFalse();
            assertThat(nodeB.tryLock(7, 43)).as("another key").isTrue();
            nodeA.unlock(7, 42);
            assertThat(nodeB.tryLock(7, 42)).isTrue();
        }
    }

    @Test
    void aSessionThatBreaks_letsGoOfItsLocks_andTheNextCallOpensANewOne() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        try (DatabaseProxy proxy = new DatabaseProxy(db);
             SessionLocks nodeA = new SessionLocks(proxy.target(), "node-a");
             SessionLocks nodeB = new SessionLocks(db, "node-b")) {
            assertThat(nodeA.tryLock(7, 42)).isTrue();
            proxy.cut();
            // The unlock cannot reach the database: the connection is closed instead, and the
            // server ends the session, which lets go of the lock.
            nodeA.unlock(7, 42);
            assertThatThrownBy(() -> nodeA.tryLock(7, 43)).isInstanceOf(SQLException.class);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> nodeB.tryLock(7, 42));
            proxy.restore();
            assertThat(nodeA.tryLock(7, 44)).as("a new session after the outage").isTrue();
            assertThat(nodeA.tryLock(7, 42)).as("node B holds it now").isFalse();
        }
    }
}
