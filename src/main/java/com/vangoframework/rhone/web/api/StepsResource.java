package com.vangoframework.rhone.web.api;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.TeamPrincipal;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.logs.StepDao;
import com.vangoframework.rhone.web.ApiErrors;
import com.vangoframework.rhone.web.AppAccess;
import com.vangoframework.rhone.web.Timeline;
import io.dropwizard.auth.Auth;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/apps/{slug}/deployments/{id}/steps}: where a deployment's time went (its latest
 * attempt's phases and BuildKit steps, see {@link Timeline}). Team-scoped like every API route:
 * another team's app or deployment is a 404.
 */
@Path("/api/apps/{slug}/deployments/{id}/steps")
@Produces(MediaType.APPLICATION_JSON)
public final class StepsResource {

    private final AppAccess access;
    private final StepDao steps;

    public StepsResource(AppAccess access, StepDao steps) {
        this.access = access;
        this.steps = steps;
    }

    @GET
    public Timeline steps(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        App app = ApiErrors.found(access.app(team, slug), () -> "no app named '" + slug + "' in your team");
        Deployment d = ApiErrors.found(access.deployment(team, app, id),
                () -> "no deployment " + id + " in app " + app.slug());
        return Timeline.read(steps, d.id());
    }
}
