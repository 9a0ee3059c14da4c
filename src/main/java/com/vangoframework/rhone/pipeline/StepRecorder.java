package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.db.DatabaseFailures;
import com.vangoframework.rhone.db.StoredText;
import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentEvents;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.logs.StepDao.StoredPhase;
import com.vangoframework.rhone.logs.StepDao.StoredStep;
import com.vangoframework.rhone.threads.FailureStreak;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes where each build's time goes (issue 15) as the build runs: Rhone's phases ({@code
 * queued, clone, analysis, build, push}) and BuildKit's steps, into {@code deployment_phases} and
 * {@code build_steps} (one attempt of a deployment: the claim's).
 *
 * <p>Nothing here is on a build's critical path. A build records phases in memory and its steps go
 * into a {@link BuildSteps} parser; a round on {@code executor}, every {@value #ROUND_MILLIS} ms
 * while the build runs, writes what changed since the last write that went through (one batch of
 * phases, batches of steps). A round that fails leaves everything it did not write to the next
 * round, which writes the latest state of each step: nothing piles up (at most the parser's 1,000
 * steps per build), and the rows come out right once the database answers. Failures are logged as
 * a {@link FailureStreak}: the first with its stack trace, then a line a minute.
 *
 * <p>When the build ends, {@link Recording#end()} ends its last phase and writes the rest, waiting
 * for that at most {@value #FINAL_WAIT_MILLIS} ms: the outcome is recorded after it, like the
 * log's last lines, but never held long for it. A final write that did not go through is tried
 * again in the background, with a growing pause, while the database is out of reach, until it
 * answers or the service stops; any other failure is tried {@value #MAX_TRIES} times, and one the
 * database refuses for what it holds (SQLSTATE class 22 or 23: the deployment was deleted, say)
 * only once. A final write that lands after the outcome was recorded tells {@code events}, so the
 * Check Run is written again with the steps.
 *
 * <p>A claim's first write deletes what an earlier claim with the same attempt number left (a
 * node that stopped hands its build back without spending the attempt), and a second BuildKit
 * run of one build ({@link BuildSteps#newRun()}) replaces the first run's steps: the rows are
 * always one run's.
 */
public final class StepRecorder {

    static final long ROUND_MILLIS = 250;
    static final long FINAL_WAIT_MILLIS = 2_000;
    private static final long MAX_PAUSE_MILLIS = 5_000;
    /** Tries of a write that fails while the database answers (a permission, a statement timeout). */
    static final int MAX_TRIES = 7;
    /** Steps per statement batch. */
    private static final int BATCH = 200;
    /** How many of a step's last output lines are stored. */
    static final int LAST_LINES = 10;
    /**
     * The most of a step's last lines stored, in characters (4,096: up to 12 KiB of UTF-8): the end is kept (ten lines of a
     * thousand characters each would make every row, live event and page 10 KB a step).
     */
    static final int LAST_LINES_CHARS = 4 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(StepRecorder.class);

    /** The phases, in the order a build passes them. */
    public static final List<String> PHASES = List.of("queued", "clone", "analysis", "build", "push");

    private final StepDao dao;
    private final ScheduledExecutorService executor;
    private final Clock clock;
    private final FailureStreak failures;
    private final DeploymentEvents events;
    private final Histogram phaseSeconds = Histogram.builder().name("rhone_build_phase_seconds")
            .help("How long each phase of a build took on this node (queued: request to claim), by phase")
            .labelNames("phase").classicOnly()
            .classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600).build();
    private final Counter stepsTotal = Counter.builder().name("rhone_build_steps")
            .help("BuildKit steps of the builds that ended on this node, without BuildKit's internal ones").build();
    private final Counter stepsCached = Counter.builder().name("rhone_build_steps_cached")
            .help("Of rhone_build_steps_total, the steps BuildKit took from its cache").build();

    /**
     * {@code executor} runs the writing rounds (the service's lifecycle stops it after the build
     * queue); {@code dao} null records nothing (steps are still parsed, for the failure sentence).
     */
    public StepRecorder(StepDao dao, ScheduledExecutorService executor, Clock clock) {
        this(dao, executor, clock, DeploymentEvents.NONE);
    }

    /** {@code events} hears of a deployment whose last steps were written after its outcome. */
    public StepRecorder(StepDao dao, ScheduledExecutorService executor, Clock clock, DeploymentEvents events) {
        this.dao = dao;
        this.events = events;
        this.executor = executor;
        this.clock = clock;
        this.failures = FailureStreak.of(LOG, "Recording build steps", clock);
        PHASES.forEach(phaseSeconds::initLabelValues);
    }

    /** Parses steps for the failure sentence and writes nothing: tests and pipelines without a database. */
    public static StepRecorder off() {
        return new StepRecorder(null, null, Clock.systemUTC());
    }

    /** The phase histogram and the step counters, for the service's Prometheus registry. */
    public List<Collector> prometheusMetrics() {
        return List.of(phaseSeconds, stepsTotal, stepsCached);
    }

    /**
     * Starts recording one claim of a deployment: {@code queued} from its request to the claim
     * (the first claim only: a later one's wait would include the earlier runs), then {@code clone}
     * from the claim on.
     */
    public Recording start(Deployment d) {
        Instant now = clock.instant();
        Instant claimed = d.buildStartedAt() != null && !d.buildStartedAt().isAfter(now) ? d.buildStartedAt() : now;
        Recording r = new Recording(d.id(), d.attempt());
        // A fork's pull request waits for a person first: its queue starts when it is approved.
        Instant queued = d.approvedAt() != null ? d.approvedAt() : d.createdAt();
        if (d.attempt() <= 1 && queued != null && !queued.isAfter(claimed)) {
            r.phases.put("queued", new StoredPhase(d.id(), d.attempt(), "queued", queued, claimed));
            phaseSeconds.labelValues("queued").observe(seconds(Duration.between(queued, claimed)));
        }
        r.startPhase("clone", claimed);
        r.schedule();
        return r;
    }

    private static double seconds(Duration d) {
        return Math.max(0, d.toNanos()) / 1e9;
    }

    /** One claim of one deployment being recorded. Thread-safe. */
    public final class Recording implements AutoCloseable {

        private final long deploymentId;
        private final int attempt;
        private final BuildSteps steps = new BuildSteps(LAST_LINES);
        // Guarded by this: the build's threads change them, the rounds read them.
        private final Map<String, StoredPhase> phases = new LinkedHashMap<>();
        private String current;
        private boolean ended;
        private ScheduledFuture<?> rounds;
        // Guarded by writeLock: only rounds touch them, one at a time.
        private final Object writeLock = new Object();
        private final Map<String, StoredPhase> writtenPhases = new HashMap<>();
        private final Map<Integer, StoredStep> writtenSteps = new HashMap<>();
        private List<BuildStep> lastSnapshot;
        private boolean stepsWritten = true;
        private boolean givenUp;
        private int finalTries;
        /** Failures in a row while the database answered. */
        private int refusedTries;
        /** What an earlier claim with this attempt number left has been deleted. */
        private boolean cleared;
        /** The parser's run whose steps the rows hold. */
        private int writtenRun;
        /** end() stopped waiting before the final write went through. */
        private volatile boolean outcomeFirst;
        /** The final write is tried once, with no retries in the background. */
        private volatile boolean oneTry;
        private final CompletableFuture<Boolean> firstFinalRound = new CompletableFuture<>();

        private Recording(long deploymentId, int attempt) {
            this.deploymentId = deploymentId;
            this.attempt = attempt;
        }

        /** The build's steps: the builder feeds BuildKit's progress into them. */
        public BuildSteps steps() {
            return steps;
        }

        /** The build moves into {@code phase} now: the phase it was in ends. */
        public void phase(String phase) {
            startPhase(phase, clock.instant());
        }

        private synchronized void startPhase(String phase, Instant at) {
            if (!PHASES.contains(phase)) {
                throw new IllegalArgumentException("no such phase: " + phase + " (one of " + PHASES + ")");
            }
            if (ended || phase.equals(current)) {
                return;
            }
            endCurrent(at);
            current = phase;
            phases.put(phase, new StoredPhase(deploymentId, attempt, phase, at, null));
        }

        private void endCurrent(Instant at) {
            if (current == null) {
                return;
            }
            StoredPhase running = phases.get(current);
            Instant end = at.isBefore(running.startedAt()) ? running.startedAt() : at;
            phases.put(current, new StoredPhase(deploymentId, attempt, current, running.startedAt(), end));
            phaseSeconds.labelValues(current).observe(seconds(Duration.between(running.startedAt(), end)));
            current = null;
        }

        private void schedule() {
            if (dao == null) {
                return;
            }
            try {
                rounds = executor.scheduleWithFixedDelay(this::round, ROUND_MILLIS, ROUND_MILLIS,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                rounds = null; // the service is stopping: end() writes what it can
            }
        }

        /** {@link #end(BuildContext.AbortReason)} of a build that was not told to stop. */
        public void end() {
            end(null);
        }

        /**
         * The build has ended (built, failed, cancelled, or stopped: {@code aborted} says why, null
         * when it was not told to): its last phase ends now, steps BuildKit left running are stored
         * as canceled, the step counters count it (not a claim that goes back to the queue or to
         * another node: its build is counted where it ends), and the rest is written, waited for at
         * most {@value #FINAL_WAIT_MILLIS} ms, even on an interrupted thread (an abort interrupts
         * the worker, and the outcome comes right after). Never throws; once only.
         */
        public void end(BuildContext.AbortReason aborted) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                endCurrent(clock.instant());
                ended = true;
            }
            try {
                if (aborted != BuildContext.AbortReason.SHUTDOWN && aborted != BuildContext.AbortReason.LEASE_LOST) {
                    count();
                }
            } catch (RuntimeException e) {
                LOG.warn("Deployment {}: counting its build steps failed", deploymentId, e);
            }
            if (dao == null) {
                return;
            }
            if (rounds != null) {
                rounds.cancel(false);
            }
            // A claim handed back (shutdown) or lost gets one try: the next claim may reuse its
            // attempt number, and a late retry of this one must not write into that claim's rows.
            oneTry = aborted == BuildContext.AbortReason.SHUTDOWN || aborted == BuildContext.AbortReason.LEASE_LOST;
            boolean interrupted = Thread.interrupted(); // a try on this thread needs a connection
            try {
                executor.execute(this::finalRound);
            } catch (RejectedExecutionException stopping) {
                finalRound(); // the executor is gone: one try on this thread
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FINAL_WAIT_MILLIS);
            try {
                while (true) {
                    try {
                        if (!firstFinalRound.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                            outcomeFirst = true; // tried and failed: the background tries tell events
                        }
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true; // the abort's interrupt: wait out the bound all the same
                    }
                }
            } catch (TimeoutException e) {
                outcomeFirst = true;
                LOG.warn("Deployment {}: its build steps are not written yet; the writer goes on", deploymentId);
            } catch (ExecutionException e) {
                LOG.warn("Deployment {}: writing its build steps failed", deploymentId, e.getCause());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void close() {
            end();
        }

        private void count() {
            long total = 0;
            long cached = 0;
            for (BuildStep s : steps.snapshot()) {
                if (!s.internal()) {
                    total++;
                    cached += s.cached() ? 1 : 0;
                }
            }
            stepsTotal.inc(total);
            stepsCached.inc(cached);
        }

        /** The write after the end, and its tries again in the background while the database fails for now. */
        private void finalRound() {
            boolean written = round();
            firstFinalRound.complete(written);
            if (written && outcomeFirst && !givenUp) {
                // The outcome went first (this write failed, or took longer than the wait): the
                // Check Run was written without these steps, so again, with them.
                events.changed(deploymentId);
            }
            if (written || givenUp || oneTry) {
                return;
            }
            long pause = Math.min(MAX_PAUSE_MILLIS, ROUND_MILLIS << Math.min(++finalTries, 5));
            try {
                executor.schedule(this::finalRound, pause, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                LOG.warn("Deployment {}: the service stopped before its build steps could be written; they are lost",
                        deploymentId);
            }
        }

        /** Writes what changed since the last write that went through; true when nothing is left. */
        boolean round() {
            synchronized (writeLock) {
                if (givenUp) {
                    return true;
                }
                try {
                    writeChanges();
                    failures.succeeded();
                    refusedTries = 0;
                    return true;
                } catch (RuntimeException e) {
                    if (!DatabaseFailures.isUnreachable(e) && ++refusedTries >= MAX_TRIES) {
                        givenUp = true; // the database answers, and keeps saying no: no endless tries
                        LOG.warn("Deployment {}: its build steps could not be written in {} tries; they are not "
                                + "recorded", deploymentId, MAX_TRIES, e);
                        return true;
                    }
                    if (StoredText.isPermanent(e)) {
                        // Trying again would meet the same refusal (the deployment is gone, say).
                        givenUp = true;
                        LOG.warn("Deployment {}: the database refused its build steps (SQLSTATE {}); they are not "
                                + "recorded", deploymentId, StoredText.sqlState(e), e);
                        return true;
                    }
                    failures.failed(e);
                    return false;
                }
            }
        }

        private void writeChanges() {
            if (!cleared) {
                dao.deleteAttempt(deploymentId, attempt); // an earlier claim's rows under this attempt number
                cleared = true;
            }
            List<StoredPhase> changedPhases = new ArrayList<>();
            boolean over;
            synchronized (this) {
                over = ended;
                for (StoredPhase p : phases.values()) {
                    if (!p.equals(writtenPhases.get(p.phase()))) {
                        changedPhases.add(p);
                    }
                }
            }
            if (!changedPhases.isEmpty()) {
                dao.upsertPhases(changedPhases);
                changedPhases.forEach(p -> writtenPhases.put(p.phase(), p));
            }
            int run = steps.run(); // read before the snapshot: a snapshot newer than its run is only rewritten
            List<BuildStep> snapshot = steps.snapshot();
            if (run != writtenRun) {
                dao.deleteSteps(deploymentId, attempt); // the last BuildKit run's steps; this run numbers from #1
                writtenSteps.clear();
                writtenRun = run;
                lastSnapshot = null;
            }
            if (snapshot == lastSnapshot && stepsWritten && !over) {
                return; // no line changed a step since the last write that went through
            }
            lastSnapshot = snapshot;
            stepsWritten = false;
            Instant endedAt = over ? phaseEnd() : null;
            List<StoredStep> changed = new ArrayList<>();
            for (BuildStep s : snapshot) {
                StoredStep stored = stored(s, endedAt);
                if (!stored.equals(writtenSteps.get(s.vertex()))) {
                    changed.add(stored);
                }
            }
            for (int from = 0; from < changed.size(); from += BATCH) {
                List<StoredStep> batch = changed.subList(from, Math.min(changed.size(), from + BATCH));
                dao.upsertSteps(batch);
                batch.forEach(s -> writtenSteps.put(s.vertex(), s));
            }
            stepsWritten = true;
        }

        /** When the build's last phase ended (steps it left running end there). */
        private synchronized Instant phaseEnd() {
            Instant last = null;
            for (StoredPhase p : phases.values()) {
                if (p.endedAt() != null && (last == null || p.endedAt().isAfter(last))) {
                    last = p.endedAt();
                }
            }
            return last == null ? clock.instant() : last;
        }

        /**
         * A step as stored; {@code buildEnded} non-null: the build is over, and a step BuildKit
         * never reported the end of is stored as canceled there (its process was stopped).
         */
        private StoredStep stored(BuildStep s, Instant buildEnded) {
            String status = s.status().name().toLowerCase(Locale.ROOT);
            Instant end = s.end();
            Long durationMs = s.duration() == null ? null : s.duration().toMillis();
            String error = s.error();
            if (s.status() == StepStatus.RUNNING && buildEnded != null) {
                status = "canceled";
                end = buildEnded.isBefore(s.start()) ? s.start() : buildEnded;
                durationMs = Duration.between(s.start(), end).toMillis();
                error = "the build ended before BuildKit reported this step's end";
            }
            // A running step is stored without its lines: every output line would rewrite its row (and
            // send it to every live viewer) each round; the page reads a running step's lines in the log.
            boolean running = "running".equals(status);
            String lastLines = running ? "" : tail(s.lastLines().stream().map(BuildStep.Line::text)
                    .collect(Collectors.joining("\n")));
            return new StoredStep(deploymentId, attempt, s.vertex(), s.name(), s.stage(), s.internal(), status,
                    s.start(), end, durationMs, s.exitCode(), error, lastLines, running ? 0 : s.lineCount(), 0);
        }

        /** The end of a step's last lines, at most {@link #LAST_LINES_CHARS}, cut at a line where it can be. */
        private static String tail(String lines) {
            if (lines.length() <= LAST_LINES_CHARS) {
                return lines;
            }
            int from = lines.length() - LAST_LINES_CHARS;
            if (Character.isLowSurrogate(lines.charAt(from))) {
                from++;
            }
            int line = lines.indexOf('\n', from);
            return line >= 0 && line < lines.length() - 1 ? lines.substring(line + 1) : lines.substring(from);
        }
    }
}
