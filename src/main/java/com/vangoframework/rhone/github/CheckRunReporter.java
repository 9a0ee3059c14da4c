package com.vangoframework.rhone.github;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.db.SessionLocks;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentEvents;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.ratelimit.KeyedRateLimiter;
import com.vangoframework.rhone.threads.FailureStreak;
import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.kohsuke.github.GHCheckRun;
import org.kohsuke.github.GHCheckRunBuilder;
import org.kohsuke.github.GHRepository;
import org.kohsuke.github.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors each deployment of a GitHub app as one Check Run: created {@code queued}, updated when
 * the phase changes, {@code completed} with a conclusion, the error sentence, where the build's
 * time went (phases, the slowest steps, the failed step's last lines) and the (already masked)
 * log tail. A fork's pull request waiting for approval gets a completed
 * {@code action_required} run with the "Approve and build" action; once approved, its build gets a
 * new run. It runs on its own thread and never touches a build: when GitHub fails or
 * rate-limits, the run is retried with back-off (honouring {@code Retry-After} and
 * {@code x-ratelimit-reset}), and a periodic sweep catches up runs that fell behind.
 */
public final class CheckRunReporter implements Managed, DeploymentEvents.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(CheckRunReporter.class);

    private final FailureStreak sweepFailures = FailureStreak.of(LOG, "Looking for Check Runs to catch up",
            java.time.Clock.systemUTC());
    static final Duration SWEEP = Duration.ofSeconds(30);
    /** The first key of the report locks (two-int advisory locks never meet the one-bigint ones). */
    private static final int REPORT_LOCK = 0x43_52_75_6e; // "CRun"
    private static final Duration LOCK_TAKEN_RETRY = Duration.ofSeconds(1);
    private static final int LOCK_WAITS_BEFORE_NOTICE = 60;
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final int MAX_PACED_INSTALLATIONS = 10_000;

    private final SessionLocks locks;
    private final GitHubDao github;
    private final DeploymentDao deployments;
    private final AppDao apps;
    private final LogStore logs;
    private final StepDao steps;
    private final GitHubClients clients;
    private final String checkName;
    private final String publicUrl;
    private volatile ScheduledThreadPoolExecutor executor; // from start() to stop()
    private final Set<Long> queued = ConcurrentHashMap.newKeySet();
    private final Map<Long, Integer> failures = new ConcurrentHashMap<>();
    /** Deployments whose lock another node held when this one looked, and how often in a row. */
    private final Map<Long, Integer> lockWaits = new ConcurrentHashMap<>();
    /** GitHub asks integrators to pace content-creating calls; at most 60 a minute per installation here. */
    private final KeyedRateLimiter<Long> pacing = new KeyedRateLimiter<>(
            new KeyedRateLimiter.Rate(10, 60, Duration.ofMinutes(1)), MAX_PACED_INSTALLATIONS);
    private final Map<String, GHRepository> repositories = new ConcurrentHashMap<>();

    public CheckRunReporter(Jdbi jdbi, DatabaseTarget lockTarget, DeploymentDao deployments, AppDao apps,
                            LogStore logs, GitHubClients clients, String checkName, String publicUrl) {
        this.locks = new SessionLocks(lockTarget, "rhone-check-runs");
        this.github = jdbi.onDemand(GitHubDao.class);
        this.deployments = deployments;
        this.apps = apps;
        this.logs = logs;
        this.steps = jdbi.onDemand(StepDao.class);
        this.clients = clients;
        this.checkName = checkName;
        this.publicUrl = publicUrl;
    }

    @Override
    public synchronized void start() {
        if (executor != null) {
            return;
        }
        executor = NamedThreads.scheduled("rhone-check-runs");
        // The first sweep at once: the queue starts before this reporter, and what it changed in
        // between is caught up now rather than a sweep interval later.
        executor.scheduleWithFixedDelay(this::sweep, 0, SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        NamedThreads.stopNow(executor, Duration.ofSeconds(5));
        executor = null;
        locks.close();
    }

    @Override
    public void deploymentChanged(long deploymentId) {
        schedule(deploymentId, Duration.ZERO);
    }

    private void schedule(long deploymentId, Duration delay) {
        ScheduledThreadPoolExecutor executor = this.executor;
        if (executor == null) {
            return; // not started yet (the queue starts first): the first sweep, at start, catches it up
        }
        if (queued.add(deploymentId)) {
            try {
                executor.schedule(() -> {
                    queued.remove(deploymentId);
                    report(deploymentId);
                }, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                queued.remove(deploymentId);
            }
        }
    }

    private void sweep() {
        try {
            github.checkRunsBehind().forEach(id -> schedule(id, Duration.ZERO));
            sweepFailures.succeeded();
        } catch (RuntimeException e) {
            sweepFailures.failed(e); // the next sweep tries again
        }
    }

    /**
     * Brings one deployment's Check Run up to date, holding the deployment's report lock: every
     * node hears of a deployment's changes (the one that took the request, the one that builds it),
     * and two that created its run at once would leave a second run on the commit, stuck at queued
     * for ever. The lock is a PostgreSQL session lock on a connection of this reporter's own (not
     * a pooled one: it is held while GitHub answers, within {@link GitHubClients#CALL_DEADLINE});
     * a node that dies lets go of it. A node that finds it taken looks again a moment later and
     * finds the run recorded then.
     */
    void report(long deploymentId) {
        boolean mine;
        try {
            mine = locks.tryLock(REPORT_LOCK, (int) deploymentId);
        } catch (SQLException e) {
            retry(deploymentId, "the database is out of reach (" + e.getSQLState() + ")");
            return;
        }
        if (!mine) {
            int waits = lockWaits.merge(deploymentId, 1, Integer::sum);
            if (waits % LOCK_WAITS_BEFORE_NOTICE == 0) {
                LOG.info("Check Run of deployment {}: another node has been reporting it for {} tries; "
                        + "looking again more slowly", deploymentId, waits);
            }
            schedule(deploymentId, waits < LOCK_WAITS_BEFORE_NOTICE ? LOCK_TAKEN_RETRY : SWEEP);
            return;
        }
        lockWaits.remove(deploymentId);
        try {
            reportHeld(deploymentId);
        } finally {
            locks.unlock(REPORT_LOCK, (int) deploymentId);
        }
    }

    /** Reports one deployment; GitHub errors reschedule it, never propagate. */
    private void reportHeld(long deploymentId) {
        try {
            Optional<Deployment> row = deployments.findById(deploymentId);
            if (row.isEmpty()) {
                return;
            }
            Deployment d = row.get();
            App app = apps.findById(d.appId()).orElse(null);
            if (app == null || !app.isGitHub() || d.commitSha() == null) {
                return; // a manual deploy gets its run once the clone has found the SHA
            }
            String status = d.status().dbValue();
            String reported = currentlyReported(d);
            if (status.equals(reported) && d.checkRunId() != null) {
                return; // phase changes only
            }
            Duration wait = pacing.admit(app.installationId()).orElse(Duration.ZERO);
            if (!wait.isZero()) {
                schedule(deploymentId, wait);
                return;
            }
            publish(d, app, reported);
            github.checkRunReported(d.id(), status);
            failures.remove(deploymentId);
            // The row may have moved on while we talked to GitHub.
            if (!deployments.findById(deploymentId).map(x -> x.status().dbValue()).orElse(status).equals(status)) {
                schedule(deploymentId, Duration.ZERO);
            }
        } catch (RetryLater e) {
            LOG.info("Check Run of deployment {}: {}", deploymentId, e.getMessage());
            schedule(deploymentId, e.delay());
        } catch (HttpException e) {
            if (e.getResponseCode() >= 500 || e.getResponseCode() == 429 || e.getResponseCode() < 0) {
                retry(deploymentId, "GitHub answered " + e.getResponseCode());
            } else {
                LOG.warn("GitHub refused the Check Run of deployment {} ({}): not retrying", deploymentId,
                        e.getResponseCode(), e);
            }
        } catch (IOException e) {
            retry(deploymentId, "GitHub could not be reached: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("Reporting the Check Run of deployment {} failed", deploymentId, e);
            retry(deploymentId, "unexpected error");
        }
    }

    private String currentlyReported(Deployment d) {
        return github.reportedStatus(d.id()).orElse(null);
    }

    private void retry(long deploymentId, String why) {
        int n = failures.merge(deploymentId, 1, Integer::sum);
        Duration delay = Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << Math.min(n, 9)));
        LOG.info("Check Run of deployment {}: {}; retry {} in {} s", deploymentId, why, n, delay.toSeconds());
        schedule(deploymentId, delay);
    }

    private void publish(Deployment d, App app, String reported) throws IOException {
        String details = publicUrl + "/apps/" + app.slug() + "/deployments/" + d.id();
        GHRepository repo = repository(app);
        if (d.status() == DeploymentStatus.AWAITING_APPROVAL && d.checkRunId() == null) {
            // Completed at once, with the action: nothing is queued until someone approves.
            GHCheckRun run = fill(repo.createCheckRun(checkName, d.commitSha()), d,
                    CheckRunContent.awaitingApproval(d, details), details).create();
            if (github.checkRunCreated(d.id(), run.getId()) == 0) {
                LOG.warn("Deployment {} already had a Check Run; created {} twice", d.id(), run.getId());
            }
            return;
        }
        // An approved fork's run was completed (action_required); GitHub keeps a completed run's
        // place in the checks list, so the build gets a new run rather than reopening that one.
        boolean approved = d.checkRunId() != null
                && DeploymentStatus.AWAITING_APPROVAL.dbValue().equals(reported)
                && d.status() != DeploymentStatus.AWAITING_APPROVAL && d.status() != DeploymentStatus.CANCELLED;
        if (d.checkRunId() == null || approved) {
            // Every run starts queued, as the request did, even if the build has started meanwhile;
            // the update below then shows where it is now.
            GHCheckRun run = fill(repo.createCheckRun(checkName, d.commitSha()), d,
                    CheckRunContent.queued(details), details).create();
            int recorded = approved ? github.checkRunReplaced(d.id(), d.checkRunId(), run.getId())
                    : github.checkRunCreated(d.id(), run.getId());
            if (recorded == 0) {
                LOG.warn("Deployment {} already had a Check Run; created {} twice", d.id(), run.getId());
            }
            github.checkRunReported(d.id(), DeploymentStatus.PENDING.dbValue());
            d = deployments.findById(d.id()).orElse(d);
            if (d.status() == DeploymentStatus.PENDING) {
                return;
            }
        }
        CheckRunContent now = CheckRunContent.of(d, app, details, logs.tail(d.id(), CheckRunContent.MAX_TEXT),
                insights(d.id()));
        fill(repo.updateCheckRun(d.checkRunId()), d, now, details).create();
    }

    /** The latest attempt's phases and steps, as the building node recorded them so far. */
    private CheckRunInsights insights(long deploymentId) {
        int attempt = steps.latestAttempt(deploymentId);
        if (attempt == 0) {
            return CheckRunInsights.NONE;
        }
        return new CheckRunInsights(steps.phases(deploymentId, attempt), steps.steps(deploymentId, attempt));
    }

    private GHCheckRunBuilder fill(GHCheckRunBuilder builder, Deployment d, CheckRunContent content, String details) {
        builder.withExternalID(Long.toString(d.id())).withDetailsURL(details).withStatus(content.status())
                .add(new GHCheckRunBuilder.Output(content.title(), content.summary()).withText(content.text()));
        if (d.buildStartedAt() != null && content.status() != GHCheckRun.Status.QUEUED) {
            builder.withStartedAt(Date.from(d.buildStartedAt()));
        }
        content.conclusion().ifPresent(c -> {
            builder.withConclusion(c);
            builder.withCompletedAt(Date.from(d.buildFinishedAt() != null ? d.buildFinishedAt() : d.updatedAt()));
        });
        if (content.approveAction()) {
            builder.add(new GHCheckRunBuilder.Action("Approve and build", "Build this fork's pull request",
                    WebhookHandler.APPROVE_ACTION));
        }
        if (content.rebuildAction()) {
            builder.add(new GHCheckRunBuilder.Action("Rebuild", "Build this commit again",
                    WebhookHandler.REBUILD_ACTION));
        }
        return builder;
    }

    private GHRepository repository(App app) throws IOException {
        GHRepository cached = repositories.get(app.githubRepo());
        if (cached != null) {
            return cached;
        }
        GHRepository repo = clients.forInstallation(app.installationId()).getRepository(app.githubRepo());
        repositories.put(app.githubRepo(), repo);
        return repo;
    }
}
