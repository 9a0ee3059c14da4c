package com.vangoframework.rhone.logs;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * Where a build's time went (migration V14): Rhone's phases and BuildKit's steps of each claim
 * (attempt) of a deployment. The building node writes them as the build goes; the page, its live
 * stream, the API and the Check Run read the latest attempt's.
 */
public interface StepDao {

    /**
     * One step as stored. {@code lastLines}: at most the parser's last 10 output lines, masked,
     * joined by newlines; {@code changeSeq}: the order of the last change, for resuming streams.
     */
    record StoredStep(long deploymentId, int attempt, int vertex, String name, String stage, boolean internal,
                      String status, Instant startedAt, Instant endedAt, Long durationMs, Integer exitCode,
                      String error, String lastLines, long lineCount, long changeSeq) {
    }

    /** One of Rhone's phases ({@code queued, clone, analysis, build, push}); {@code endedAt} null while it runs. */
    record StoredPhase(long deploymentId, int attempt, String phase, Instant startedAt, Instant endedAt) {
    }

    /** Inserts or updates steps of one attempt; each write takes a new {@code change_seq}. */
    @SqlBatch("""
            INSERT INTO build_steps (deployment_id, attempt, vertex, name, stage, internal, status, started_at,
                                     ended_at, duration_ms, exit_code, error, last_lines, line_count)
            VALUES (:deploymentId, :attempt, :vertex, :name, :stage, :internal, :status, :startedAt, :endedAt,
                    :durationMs, :exitCode, :error, :lastLines, :lineCount)
            ON CONFLICT (deployment_id, attempt, vertex) DO UPDATE
               SET name = excluded.name, stage = excluded.stage, internal = excluded.internal,
                   status = excluded.status, started_at = excluded.started_at, ended_at = excluded.ended_at,
                   duration_ms = excluded.duration_ms, exit_code = excluded.exit_code, error = excluded.error,
                   last_lines = excluded.last_lines, line_count = excluded.line_count,
                   change_seq = nextval('build_step_changes')""")
    void upsertSteps(@BindMethods List<StoredStep> steps);

    /** Records a phase's start or end (the row of a phase that started is updated when it ends). */
    @SqlBatch("""
            INSERT INTO deployment_phases (deployment_id, attempt, phase, started_at, ended_at)
            VALUES (:deploymentId, :attempt, :phase, :startedAt, :endedAt)
            ON CONFLICT (deployment_id, attempt, phase) DO UPDATE
               SET started_at = excluded.started_at, ended_at = excluded.ended_at""")
    void upsertPhases(@BindMethods List<StoredPhase> phases);

    /** Deletes one attempt's steps and phases (a claim's first write: an earlier claim may have used its number). */
    @SqlUpdate("""
            WITH phases AS (DELETE FROM deployment_phases WHERE deployment_id = :id AND attempt = :attempt)
            DELETE FROM build_steps WHERE deployment_id = :id AND attempt = :attempt""")
    void deleteAttempt(@Bind("id") long deploymentId, @Bind("attempt") int attempt);

    /** Deletes one attempt's steps (a second BuildKit run of the build numbers its steps from #1 again). */
    @SqlUpdate("DELETE FROM build_steps WHERE deployment_id = :id AND attempt = :attempt")
    void deleteSteps(@Bind("id") long deploymentId, @Bind("attempt") int attempt);

    /** The latest attempt that recorded anything (0 when none has). */
    @SqlQuery("""
            SELECT greatest((SELECT coalesce(max(attempt), 0) FROM build_steps WHERE deployment_id = :id),
                            (SELECT coalesce(max(attempt), 0) FROM deployment_phases WHERE deployment_id = :id))""")
    int latestAttempt(@Bind("id") long deploymentId);

    /** One attempt's steps, in the order BuildKit numbered them. */
    @SqlQuery("""
            SELECT deployment_id, attempt, vertex, name, stage, internal, status, started_at, ended_at, duration_ms,
                   exit_code, error, last_lines, line_count, change_seq
              FROM build_steps WHERE deployment_id = :id AND attempt = :attempt ORDER BY vertex""")
    @RegisterConstructorMapper(StoredStep.class)
    List<StoredStep> steps(@Bind("id") long deploymentId, @Bind("attempt") int attempt);

    /** Steps changed after {@code afterSeq}, in the order they changed (a live stream's catch-up). */
    @SqlQuery("""
            SELECT deployment_id, attempt, vertex, name, stage, internal, status, started_at, ended_at, duration_ms,
                   exit_code, error, last_lines, line_count, change_seq
              FROM build_steps WHERE deployment_id = :id AND change_seq > :after ORDER BY change_seq LIMIT :limit""")
    @RegisterConstructorMapper(StoredStep.class)
    List<StoredStep> stepsChangedAfter(@Bind("id") long deploymentId, @Bind("after") long afterSeq,
                                       @Bind("limit") int limit);

    /** One attempt's phases, in the order they started. */
    @SqlQuery("""
            SELECT deployment_id, attempt, phase, started_at, ended_at FROM deployment_phases
             WHERE deployment_id = :id AND attempt = :attempt ORDER BY started_at, phase""")
    @RegisterConstructorMapper(StoredPhase.class)
    List<StoredPhase> phases(@Bind("id") long deploymentId, @Bind("attempt") int attempt);

    /**
     * The deployment's reset point (0 when none): the {@code change_seq} taken when its step rows
     * were last deleted (migration V14's trigger). A viewer that got steps up to a change before
     * it may show steps that are gone.
     */
    @SqlQuery("SELECT coalesce((SELECT change_seq FROM build_step_resets WHERE deployment_id = :id), 0)")
    long resetPoint(@Bind("id") long deploymentId);

    /** The latest attempt's phases (see {@link #latestAttempt}) in the order they started, in one query. */
    @SqlQuery("""
            SELECT deployment_id, attempt, phase, started_at, ended_at FROM deployment_phases
             WHERE deployment_id = :id
               AND attempt = greatest(
                       (SELECT coalesce(max(attempt), 0) FROM build_steps WHERE deployment_id = :id),
                       (SELECT coalesce(max(attempt), 0) FROM deployment_phases WHERE deployment_id = :id))
             ORDER BY started_at, phase""")
    @RegisterConstructorMapper(StoredPhase.class)
    List<StoredPhase> latestPhases(@Bind("id") long deploymentId);

    /**
     * One recent deployment of an app for the app page's history: its latest attempt's phase
     * durations (0 for a phase that did not run or has not ended) and how many of its steps, not
     * counting BuildKit's internal ones, there were and came from the cache.
     */
    record BuildHistory(long deploymentId, String status, int attempt, long queuedMs, long cloneMs, long analysisMs,
                        long buildMs, long pushMs, long steps, long cachedSteps) {
    }

    /** The app's last {@code limit} deployments, newest first, in one query (the app page's picture). */
    @SqlQuery("""
            WITH recent AS (
                SELECT d.id, d.status,
                       greatest((SELECT coalesce(max(s.attempt), 0) FROM build_steps s WHERE s.deployment_id = d.id),
                                (SELECT coalesce(max(p.attempt), 0) FROM deployment_phases p
                                  WHERE p.deployment_id = d.id)) AS attempt
                  FROM deployments d WHERE d.app_id = :app ORDER BY d.id DESC LIMIT :limit)
            SELECT r.id AS deployment_id, r.status, r.attempt,
                   coalesce(ph.queued_ms, 0) AS queued_ms, coalesce(ph.clone_ms, 0) AS clone_ms,
                   coalesce(ph.analysis_ms, 0) AS analysis_ms, coalesce(ph.build_ms, 0) AS build_ms,
                   coalesce(ph.push_ms, 0) AS push_ms,
                   coalesce(st.steps, 0) AS steps, coalesce(st.cached_steps, 0) AS cached_steps
              FROM recent r
              LEFT JOIN LATERAL (
                   SELECT max(ms) FILTER (WHERE phase = 'queued') AS queued_ms,
                          max(ms) FILTER (WHERE phase = 'clone') AS clone_ms,
                          max(ms) FILTER (WHERE phase = 'analysis') AS analysis_ms,
                          max(ms) FILTER (WHERE phase = 'build') AS build_ms,
                          max(ms) FILTER (WHERE phase = 'push') AS push_ms
                     FROM (SELECT p.phase,
                                  greatest(0, (extract(epoch FROM p.ended_at - p.started_at) * 1000)::bigint) AS ms
                             FROM deployment_phases p
                            WHERE p.deployment_id = r.id AND p.attempt = r.attempt AND p.ended_at IS NOT NULL) x
                   ) ph ON true
              LEFT JOIN LATERAL (
                   SELECT count(*) FILTER (WHERE NOT s.internal) AS steps,
                          count(*) FILTER (WHERE NOT s.internal AND s.status = 'cached') AS cached_steps
                     FROM build_steps s WHERE s.deployment_id = r.id AND s.attempt = r.attempt) st ON true
             ORDER BY r.id DESC""")
    @RegisterConstructorMapper(BuildHistory.class)
    List<BuildHistory> history(@Bind("app") long appId, @Bind("limit") int limit);

    /**
     * Deletes the steps and phases of deployments whose build finished before {@code cutoff} (with
     * their logs), {@code deployments} at a time; returns the rows deleted, steps and phases.
     */
    @SqlQuery("""
            WITH gone AS (SELECT d.id FROM deployments d
                           WHERE d.build_finished_at < :cutoff
                             AND (EXISTS (SELECT 1 FROM build_steps s WHERE s.deployment_id = d.id)
                                  OR EXISTS (SELECT 1 FROM deployment_phases p WHERE p.deployment_id = d.id))
                           LIMIT :deployments),
                 phases AS (DELETE FROM deployment_phases p USING gone WHERE p.deployment_id = gone.id RETURNING 1),
                 steps AS (DELETE FROM build_steps s USING gone WHERE s.deployment_id = gone.id RETURNING 1)
            SELECT (SELECT count(*) FROM phases) + (SELECT count(*) FROM steps)""")
    int deleteFinishedBefore(@Bind("cutoff") Instant cutoff, @Bind("deployments") int deployments);
}
