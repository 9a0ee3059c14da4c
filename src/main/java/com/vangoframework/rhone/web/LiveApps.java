package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.LiveLogs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live fan-out of deployment changes to the app pages open on this node. The notifications are
 * the live logs' ({@code rhone_deployment}: requested, status changed, commit learned); each
 * changed row is read once for all viewers, then handed to the subscriptions whose teams (and
 * app, for one app's page) it belongs to. A subscription keeps the latest state per deployment,
 * so a slow viewer holds at most {@link #MAX_PENDING} rows; past that, or when the listener
 * reconnects, it is told to catch up from the database instead. The reads run on {@code reader}
 * (one thread is enough: a drain takes every change that came in meanwhile), which the service's
 * lifecycle owns and stops.
 */
public final class LiveApps implements LiveLogs.DeploymentWatcher {

    static final int MAX_PENDING = 256;
    /** Rows read per query while draining a burst of notifications. */
    static final int READ_BATCH = 500;
    private static final Logger LOG = LoggerFactory.getLogger(LiveApps.class);

    private final DashboardDao dao;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final Executor reader;
    private final Set<Long> changed = new LinkedHashSet<>(); // guarded by this
    private boolean draining; // guarded by this
    private volatile boolean ending;

    public LiveApps(DashboardDao dao, Executor reader) {
        this.dao = dao;
        this.reader = reader;
    }

    /** A deployment and its app, as a subscription receives it. */
    public record Change(App app, Deployment deployment) {
    }

    /**
     * What a stream gets from {@link Subscription#take}: changes, word that it must catch up, or
     * that it must end (the node is stopping).
     */
    public record Batch(List<Change> changes, boolean catchUp, boolean ended) {
    }

    /** One viewer's stream: the deployments of {@code teamIds}' apps, or of one app ({@code appId}). */
    public Subscription subscribe(Set<Long> teamIds, Long appId) {
        Subscription s = new Subscription(Set.copyOf(teamIds), appId);
        subscriptions.add(s);
        if (ending) {
            s.end();
        }
        return s;
    }

    /**
     * Ends every open stream: called when the server starts to stop, so that its graceful
     * shutdown does not wait for pages that would stay open forever. Browsers reconnect to
     * another node.
     */
    public void endStreams() {
        ending = true;
        subscriptions.forEach(Subscription::end);
    }

    @Override
    public void changed(long deploymentId) {
        if (subscriptions.isEmpty()) {
            return; // nobody is looking: no query
        }
        synchronized (this) {
            changed.add(deploymentId);
            if (draining) {
                return;
            }
            draining = true;
        }
        try {
            reader.execute(this::drain);
        } catch (RejectedExecutionException stopping) {
            synchronized (this) {
                draining = false;
            }
        }
    }

    @Override
    public void missedSome() {
        subscriptions.forEach(Subscription::mustCatchUp);
    }

    private void drain() {
        while (true) {
            long[] ids;
            synchronized (this) {
                if (changed.isEmpty()) {
                    draining = false;
                    return;
                }
                ids = changed.stream().limit(READ_BATCH).mapToLong(Long::longValue).toArray();
                for (long id : ids) {
                    changed.remove(id);
                }
            }
            try {
                List<Deployment> rows = dao.deployments(ids);
                Map<Long, App> apps = dao.appsById(rows.stream().mapToLong(Deployment::appId).distinct().toArray())
                        .stream().collect(Collectors.toMap(App::id, Function.identity()));
                for (Deployment d : rows) {
                    App app = apps.get(d.appId());
                    if (app != null) {
                        subscriptions.forEach(s -> s.offer(new Change(app, d)));
                    }
                }
            } catch (RuntimeException e) {
                // The rows are in the database: every stream reads what it missed itself.
                LOG.warn("Could not read changed deployments {}; the live pages catch up instead",
                        java.util.Arrays.toString(ids), e);
                subscriptions.forEach(Subscription::mustCatchUp);
            }
        }
    }

    public final class Subscription implements AutoCloseable {
        private final Set<Long> teamIds;
        private final Long appId;
        private final Map<Long, Change> pending = new LinkedHashMap<>(); // guarded by this
        private boolean catchUp; // guarded by this
        private boolean ended; // guarded by this

        private Subscription(Set<Long> teamIds, Long appId) {
            this.teamIds = teamIds;
            this.appId = appId;
        }

        public Set<Long> teamIds() {
            return teamIds;
        }

        public Long appId() {
            return appId;
        }

        synchronized void offer(Change change) {
            if (!teamIds.contains(change.app().teamId()) || (appId != null && appId != change.app().id())) {
                return;
            }
            if (catchUp) {
                return; // the catch-up reads this row too
            }
            pending.remove(change.deployment().id()); // the newest state goes to the end
            pending.put(change.deployment().id(), change);
            if (pending.size() > MAX_PENDING) {
                pending.clear();
                catchUp = true;
            }
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        synchronized void mustCatchUp() {
            pending.clear();
            catchUp = true;
            notifyAll();
        }

        /** Waits up to {@code millis} for changes; an empty batch means nothing happened. */
        public synchronized Batch take(long millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (pending.isEmpty() && !catchUp && !ended) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                wait(left);
            }
            Batch batch = new Batch(new ArrayList<>(pending.values()), catchUp, ended);
            pending.clear();
            catchUp = false;
            return batch;
        }

        @Override
        public void close() {
            subscriptions.remove(this);
        }
    }
}
