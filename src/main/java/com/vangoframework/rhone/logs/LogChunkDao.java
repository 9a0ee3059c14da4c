package com.vangoframework.rhone.logs;

import java.util.List;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

public interface LogChunkDao {

    record Chunk(long deploymentId, int lineCount, int bytes, String content) {
    }

    /**
     * Appends after whatever is stored, numbering the chunk and its first line in the same
     * statement. Two writers of one log (a zombie run and its successor) can race for a number:
     * the primary key lets one win, and the other's statement fails and is retried.
     */
    @SqlUpdate("""
            INSERT INTO deployment_log_chunks (deployment_id, seq, first_line, line_count, bytes, content)
            SELECT :deploymentId, coalesce(max(seq) + 1, 0), coalesce(max(first_line + line_count), 0),
                   :lineCount, :bytes, :content
            FROM deployment_log_chunks WHERE deployment_id = :deploymentId""")
    void append(@BindMethods Chunk chunk);

    @SqlQuery("SELECT content FROM deployment_log_chunks WHERE deployment_id = :id ORDER BY seq")
    List<String> contents(@Bind("id") long deploymentId);

    /** The last chunks, newest first: enough for a log tail without reading a 10 MiB log. */
    @SqlQuery("SELECT content FROM deployment_log_chunks WHERE deployment_id = :id ORDER BY seq DESC LIMIT :chunks")
    List<String> lastChunks(@Bind("id") long deploymentId, @Bind("chunks") int chunks);

    /** Bytes already stored, so a retried claim's writer respects the same cap. */
    @SqlQuery("SELECT coalesce(sum(bytes), 0) FROM deployment_log_chunks WHERE deployment_id = :id")
    long storedBytes(@Bind("id") long deploymentId);
}
