package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.apps.ApiTokenDao;
import com.vangoframework.rhone.apps.ApiTokens;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.Team;
import com.vangoframework.rhone.apps.TeamDao;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentTrigger;
import com.vangoframework.rhone.deployments.NewDeployment;
import org.jdbi.v3.core.Jdbi;

/** Rows for tests, written through the real DAOs. */
public final class Fixtures {

    private final Jdbi jdbi;

    public Fixtures(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Team team(String slug) {
        return jdbi.onDemand(TeamDao.class).insert(slug, "Team " + slug);
    }

    /** Sets how many deployments the team may have waiting (50 for a new team); tests of big queues raise it. */
    public Team pendingQuota(Team team, int quota) {
        jdbi.onDemand(TeamDao.class).setPendingQuota(team.id(), quota);
        return team;
    }

    public App app(Team team, String slug) {
        return app(team, slug, 1800);
    }

    public App app(Team team, String slug, int timeoutSeconds) {
        return jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), slug, null, null,
                "https://git.example.test/" + slug + ".git", "main", timeoutSeconds));
    }

    public App gitApp(Team team, String slug, String gitUrl, int timeoutSeconds) {
        return jdbi.onDemand(AppDao.class).insert(new AppDao.NewApp(team.id(), slug, null, null, gitUrl, "main",
                timeoutSeconds));
    }

    public String token(Team team) {
        String token = ApiTokens.generate();
        jdbi.onDemand(ApiTokenDao.class).insert(team.id(), ApiTokens.sha256(token), "test");
        return token;
    }

    /**
     * Straight into the table: no supersede, as if many pushes of different branches arrived. The
     * queues are woken as the service's own requests wake them: a NOTIFY after the insert.
     */
    public Deployment pending(App app) {
        return jdbi.withHandle(h -> {
            Deployment d = DeploymentService.insert(h, NewDeployment.manual(app.id(), app.branch(), null));
            h.execute("SELECT pg_notify('rhone_queue', '')"); // after the insert's commit (autocommit)
            return d;
        });
    }

    /** A pull request from the fork {@code stranger/<app>} that waits for approval. */
    public Deployment awaitingFork(App app, int number) {
        return jdbi.withHandle(h -> DeploymentService.insert(h, new NewDeployment(app.id(),
                DeploymentTrigger.PULL_REQUEST, "main", java.util.UUID.randomUUID().toString().replace("-", "")
                + "01234567", "PR #" + number + ": from a fork", "stranger", number, null,
                NewDeployment.Origin.fork("stranger/" + app.slug(), true))));
    }

    public Deployment reload(Deployment d) {
        return jdbi.onDemand(DeploymentDao.class).findById(d.id()).orElseThrow();
    }

    public long count(String table) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + table).mapTo(Long.class).one());
    }
}
