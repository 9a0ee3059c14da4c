package com.vangoframework.rhone.logs;

import java.util.List;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

public interface LogChunkDao {

    record Chunk(long deploymentId, int seq, int firstLine, int lineCount, int bytes, String content) {
    }

    /** Append-only: a chunk number is written once; a second write of the same seq fails. */
    @SqlUpdate("""
            INSERT INTO deployment_log_chunks (deployment_id, seq, first_line, line_count, bytes, content)
            VALUES (:deploymentId, :seq, :firstLine, :lineCount, :bytes, :content)""")
    void append(@BindMethods Chunk chunk);

    @SqlQuery("SELECT content FROM deployment_log_chunks WHERE deployment_id = :id ORDER BY seq")
    List<String> contents(@Bind("id") long deploymentId);

    /** Where a writer continues: next chunk number, next line number, bytes stored so far. */
    record End(int nextSeq, int nextLine, long bytes) {
    }

    @SqlQuery("""
            SELECT coalesce(max(seq) + 1, 0) AS next_seq, coalesce(sum(line_count), 0) AS next_line,
                   coalesce(sum(bytes), 0) AS bytes
            FROM deployment_log_chunks WHERE deployment_id = :id""")
    @org.jdbi.v3.sqlobject.config.RegisterConstructorMapper(End.class)
    End end(@Bind("id") long deploymentId);
}
