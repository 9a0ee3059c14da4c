package com.vangoframework.rhone.fuzz;

import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Every row that any statement inserts, updates or deletes in the service's tables, noted by a
 * row trigger in a journal table: whether a request wrote anything is read off the database
 * itself, not off the service's own account of it.
 */
final class WriteJournal implements AutoCloseable {

    /** One connection for the whole run: a connection per look would cost more than the request. */
    private final Handle handle;

    private WriteJournal(Handle handle) {
        this.handle = handle;
    }

    /** Puts the trigger on every table of the public schema (Flyway's history aside). */
    static WriteJournal install(Jdbi jdbi) {
        jdbi.useHandle(h -> {
            h.execute("CREATE TABLE fuzz_writes (seq bigserial PRIMARY KEY, what text NOT NULL)");
            h.execute("""
                    CREATE FUNCTION fuzz_note_write() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      INSERT INTO fuzz_writes (what) VALUES (TG_TABLE_NAME || ':' || TG_OP);
                      RETURN NULL;
                    END $$""");
            List<String> tables = h.createQuery("""
                    SELECT tablename FROM pg_tables
                     WHERE schemaname = 'public' AND tablename NOT IN ('fuzz_writes', 'flyway_schema_history')""")
                    .mapTo(String.class).list();
            for (String table : tables) {
                h.execute("CREATE TRIGGER fuzz_note_write AFTER INSERT OR UPDATE OR DELETE ON \"" + table
                        + "\" FOR EACH ROW EXECUTE FUNCTION fuzz_note_write()");
            }
        });
        return new WriteJournal(jdbi.open());
    }

    long mark() {
        return handle.createQuery("SELECT coalesce(max(seq), 0) FROM fuzz_writes").mapTo(Long.class).one();
    }

    /** The distinct {@code table:OPERATION} written since {@code mark}. */
    List<String> since(long mark) {
        return handle.createQuery("SELECT DISTINCT what FROM fuzz_writes WHERE seq > ? ORDER BY what")
                .bind(0, mark).mapTo(String.class).list();
    }

    /** Deletes the deployments after {@code lastKept}, on the journal's connection. */
    void dropDeploymentsAfter(long lastKept) {
        handle.execute("DELETE FROM deployments WHERE id > ?", lastKept);
    }

    @Override
    public void close() {
        handle.close();
    }
}
