package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.apps.TeamScope;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import java.util.Optional;

/**
 * What a caller may see: the one team check of every app-scoped route, for the JSON API, the
 * pages, the forms and the streams alike. An app of another team is exactly like one that does
 * not exist, and so is any of its deployments; each edge turns "missing" into its own 404.
 */
public final class AppAccess {

    private final AppDao apps;
    private final DeploymentService deployments;

    public AppAccess(AppDao apps, DeploymentService deployments) {
        this.apps = apps;
        this.deployments = deployments;
    }

    /** The app, if it exists and belongs to one of the caller's teams. */
    public Optional<App> app(TeamScope caller, String slug) {
        return apps.findBySlug(slug).filter(a -> caller.memberOf(a.teamId()));
    }

    /**
     * The deployment with this id (a number, as the URL spells it) of {@code app}, if the caller
     * may see the app: checked here again, so no edge can ask for a deployment past the team check.
     */
    public Optional<Deployment> deployment(TeamScope caller, App app, String id) {
        if (!caller.memberOf(app.teamId())) {
            return Optional.empty();
        }
        long parsed;
        try {
            parsed = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return deployments.find(app, parsed);
    }
}
