package com.vangoframework.rhone.logs;

import java.util.List;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
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

    /** A stored chunk as readers see it: lines {@code firstLine .. firstLine + lineCount - 1}. */
    record Stored(int firstLine, int lineCount, String content) {
        public int end() {
            return firstLine + lineCount;
        }
    }

    /**
     * The chunks holding lines after the first {@code afterLine} ones, in order; at most
     * {@code limit}. A chunk holds at most 256 lines (BuildLog flushes at 256), so the lower bound
     * on first_line is safe and lets the index start near the cursor instead of at line 0.
     */
    @SqlQuery("""
            SELECT first_line, line_count, content FROM deployment_log_chunks
             WHERE deployment_id = :id AND first_line + line_count > :after
               AND first_line > :after - 4096
             ORDER BY first_line LIMIT :limit""")
    @RegisterConstructorMapper(Stored.class)
    List<Stored> chunksAfter(@Bind("id") long deploymentId, @Bind("after") long afterLine, @Bind("limit") int limit);

    /** The last chunks, oldest first, that hold about {@code lines} lines: a page's first view of a long log. */
    @SqlQuery("""
            SELECT first_line, line_count, content FROM (
                SELECT first_line, line_count, content,
                       sum(line_count) OVER (ORDER BY first_line DESC) - line_count AS newer_lines
                  FROM deployment_log_chunks WHERE deployment_id = :id) c
             WHERE newer_lines < :lines ORDER BY first_line""")
    @RegisterConstructorMapper(Stored.class)
    List<Stored> tailChunks(@Bind("id") long deploymentId, @Bind("lines") int lines);

    /** The chunks holding lines {@code from .. to - 1}, in order. */
    @SqlQuery("""
            SELECT first_line, line_count, content FROM deployment_log_chunks
             WHERE deployment_id = :id AND first_line < :to AND first_line + line_count > :from
             ORDER BY first_line""")
    @RegisterConstructorMapper(Stored.class)
    List<Stored> chunksBetween(@Bind("id") long deploymentId, @Bind("from") long from, @Bind("to") long to);

    @SqlQuery("SELECT content FROM deployment_log_chunks WHERE deployment_id = :id ORDER BY seq")
    List<String> contents(@Bind("id") long deploymentId);

    /**
     * The newest chunks that hold at least the last {@code bytes} bytes of the log (or all of it),
     * newest first: a log tail without reading a 10 MiB log. Counted in bytes, not chunks: a quiet
     * build's chunks hold a line each. At most the newest 1,024 chunks are looked at.
     */
    @SqlQuery("""
            SELECT content FROM (
                SELECT seq, content, sum(bytes) OVER (ORDER BY seq DESC) - bytes AS newer_bytes
                  FROM (SELECT seq, content, bytes FROM deployment_log_chunks WHERE deployment_id = :id
                         ORDER BY seq DESC LIMIT 1024) newest) c
             WHERE newer_bytes < :bytes ORDER BY seq DESC""")
    List<String> lastChunks(@Bind("id") long deploymentId, @Bind("bytes") long bytes);

    /** Bytes already stored, so a retried claim's writer respects the same cap. */
    @SqlQuery("SELECT coalesce(sum(bytes), 0) FROM deployment_log_chunks WHERE deployment_id = :id")
    long storedBytes(@Bind("id") long deploymentId);

    /** Deletes the logs of deployments whose build finished before {@code cutoff}, a batch at a time. */
    @SqlUpdate("""
            DELETE FROM deployment_log_chunks c
             WHERE c.deployment_id IN (SELECT d.id FROM deployments d
                                        WHERE d.build_finished_at < :cutoff
                                          AND EXISTS (SELECT 1 FROM deployment_log_chunks x WHERE x.deployment_id = d.id)
                                        LIMIT :deployments)""")
    int deleteFinishedBefore(@Bind("cutoff") java.time.Instant cutoff, @Bind("deployments") int deployments);
}
