package com.vangoframework.rhone.web;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.vangoframework.rhone.logs.StepDao;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where one deployment's time went, as the API, the page and the live stream show it: the latest
 * attempt's phases and BuildKit steps (migration V14) with the column names in snake_case, like a
 * deployment's JSON, and a summary of them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Timeline(long deploymentId, int attempt, List<Phase> phases, List<Step> steps, Summary summary,
                       @JsonIgnore long lastChange) {

    /** One of Rhone's phases; {@code durationMs} null while it runs. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Phase(String phase, Instant startedAt, Instant endedAt, Long durationMs) {

        static Phase of(StepDao.StoredPhase p) {
            return new Phase(p.phase(), p.startedAt(), p.endedAt(),
                    p.endedAt() == null ? null : Math.max(0, p.endedAt().toEpochMilli() - p.startedAt().toEpochMilli()));
        }
    }

    /**
     * One BuildKit step (vertex) as stored; {@code lastLines} its last output lines, masked;
     * {@code changeSeq} the order of its last change (a page keeps the newer of two states of a step).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Step(int attempt, int vertex, String name, String stage, boolean internal, String status,
                       boolean cached, Instant startedAt, Instant endedAt, Long durationMs, Integer exitCode,
                       String error, List<String> lastLines, long lineCount, long changeSeq) {

        public static Step of(StepDao.StoredStep s) {
            List<String> lines = s.lastLines() == null || s.lastLines().isEmpty() ? List.of()
                    : List.of(s.lastLines().split("\n", -1));
            return new Step(s.attempt(), s.vertex(), s.name(), s.stage() == null ? "" : s.stage(), s.internal(),
                    s.status(), "cached".equals(s.status()), s.startedAt(), s.endedAt(), s.durationMs(),
                    s.exitCode(), s.error(), lines, s.lineCount(), s.changeSeq());
        }

        @JsonIgnore
        boolean failed() {
            return "error".equals(status);
        }
    }

    /**
     * {@code steps}: the steps that are not BuildKit's own bookkeeping ({@code internal}), of which
     * {@code cachedSteps} came from the cache; the build and push phases' durations (null until
     * they ended).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Summary(int steps, int cachedSteps, Long buildDurationMs, Long pushDurationMs) {
    }

    /** The latest attempt's, read with three queries whatever the number of steps. */
    public static Timeline read(StepDao dao, long deploymentId) {
        int attempt = dao.latestAttempt(deploymentId);
        if (attempt == 0) {
            return of(deploymentId, 0, List.of(), List.of());
        }
        return of(deploymentId, attempt, dao.phases(deploymentId, attempt), dao.steps(deploymentId, attempt));
    }

    /** {@code lastChange}: the latest {@code change_seq} among the steps, where a live stream goes on from. */
    static Timeline of(long deploymentId, int attempt, List<StepDao.StoredPhase> stored,
                       List<StepDao.StoredStep> storedSteps) {
        List<Phase> phases = new ArrayList<>(stored.size());
        Long build = null;
        Long push = null;
        for (StepDao.StoredPhase p : stored) {
            Phase phase = Phase.of(p);
            phases.add(phase);
            if ("build".equals(phase.phase())) {
                build = phase.durationMs();
            } else if ("push".equals(phase.phase())) {
                push = phase.durationMs();
            }
        }
        List<Step> steps = new ArrayList<>(storedSteps.size());
        int counted = 0;
        int cached = 0;
        long lastChange = 0;
        for (StepDao.StoredStep s : storedSteps) {
            lastChange = Math.max(lastChange, s.changeSeq());
            Step step = Step.of(s);
            steps.add(step);
            if (!step.internal()) {
                counted++;
                cached += step.cached() ? 1 : 0;
            }
        }
        return new Timeline(deploymentId, attempt, phases, steps, new Summary(counted, cached, build, push),
                lastChange);
    }

    /** The step that failed, if one did (the first, when BuildKit reports several). */
    @JsonIgnore
    public Step failedStep() {
        for (Step s : steps) {
            if (s.failed()) {
                return s;
            }
        }
        return null;
    }
}
