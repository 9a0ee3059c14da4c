package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.AppDao;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentService;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Who is looking, and what they may see. Every app-scoped dashboard route goes through
 * {@link #app} and {@link #deployment}: an app of another team is a 404, exactly like one that
 * does not exist, and so is any of its deployments.
 */
public final class WebAccess {

    private final Sessions sessions;
    private final AppDao apps;
    private final DeploymentService deployments;

    public WebAccess(Sessions sessions, AppDao apps, DeploymentService deployments) {
        this.sessions = sessions;
        this.apps = apps;
        this.deployments = deployments;
    }

    public Sessions sessions() {
        return sessions;
    }

    /** The signed-in viewer, or a redirect to the sign-in page that comes back to {@code path}. */
    public Viewer viewer(String sessionCookie, String path) {
        return sessions.viewer(sessionCookie).orElseThrow(() -> new WebApplicationException(Response.seeOther(
                URI.create("/login?next=" + URLEncoder.encode(path, StandardCharsets.UTF_8))).build()));
    }

    /** For a form POST: the viewer, and a 403 unless the form carried the session's CSRF token. */
    public Viewer formViewer(String sessionCookie, String csrf) {
        Viewer viewer = sessions.viewer(sessionCookie).orElseThrow(() -> Pages.error(403, "Signed out",
                "Your session has ended. Sign in again and repeat the action.", null));
        if (!Sessions.csrfMatches(viewer, csrf)) {
            throw Pages.csrfRefused(viewer);
        }
        return viewer;
    }

    public App app(Viewer viewer, String slug) {
        return findApp(viewer, slug)
                .orElseThrow(() -> Pages.notFound("There is no app named '" + slug + "' in your teams.", viewer));
    }

    public Deployment deployment(Viewer viewer, App app, String id) {
        return findDeployment(app, id)
                .orElseThrow(() -> Pages.notFound("App " + app.slug() + " has no deployment " + id + ".", viewer));
    }

    /** The app, if it exists and belongs to one of the viewer's teams. */
    public Optional<App> findApp(Viewer viewer, String slug) {
        return apps.findBySlug(slug).filter(a -> viewer.memberOf(a.teamId()));
    }

    /** The app's deployment with this id (a number), if there is one. */
    public Optional<Deployment> findDeployment(App app, String id) {
        long parsed;
        try {
            parsed = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return deployments.find(app, parsed);
    }
}
