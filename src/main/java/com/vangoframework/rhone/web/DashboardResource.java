package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogChunkDao;
import com.vangoframework.rhone.logs.LogLines;
import com.vangoframework.rhone.logs.StepDao;
import io.dropwizard.auth.Auth;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's pages and forms. Pages need a session ({@link SessionCookieFilter}: else the
 * sign-in page; signing in with GitHub comes back to the page, a sign-in link goes to the app
 * list); every form POST needs the session's CSRF token; every app-scoped route checks the
 * viewer's team through {@link AppAccess}. A deployment conflict is answered by
 * {@link DeploymentConflictMapper}.
 */
@Path("/")
@Produces(MediaType.TEXT_HTML + ";charset=utf-8")
public final class DashboardResource {

    static final int PAGE_SIZE = 20;
    /** Lines rendered with the page; older ones come with "show earlier lines". */
    static final int TAIL_LINES = 1000;
    /** Chunks read per query while a log is downloaded. */
    static final int DOWNLOAD_CHUNKS = 16;

    private final AppAccess access;
    private final DashboardDao dashboard;
    private final LogChunkDao chunks;
    private final DeploymentDao deploymentDao;
    private final DeploymentService deployments;
    private final DeployRateLimiter<Long> limiter;
    private final CommitLinks links;
    private final Clock clock;
    private final StepDao steps;

    public DashboardResource(AppAccess access, DashboardDao dashboard, LogChunkDao chunks, DeploymentDao deploymentDao,
                             DeploymentService deployments, DeployRateLimiter<Long> limiter, CommitLinks links, Clock clock,
                             StepDao steps) {
        this.steps = steps;
        this.access = access;
        this.dashboard = dashboard;
        this.chunks = chunks;
        this.deploymentDao = deploymentDao;
        this.deployments = deployments;
        this.limiter = limiter;
        this.links = links;
        this.clock = clock;
    }

    @GET
    public Response root() {
        return Pages.seeOther("/apps");
    }

    @GET
    @Path("apps")
    public Page apps(@Auth Viewer viewer) {
        Instant now = clock.instant();
        List<App> apps = dashboard.appsOf(viewer.teamIds().stream().mapToLong(Long::longValue).toArray());
        Map<Long, Deployment> latest = new HashMap<>();
        dashboard.latestOf(apps.stream().mapToLong(App::id).toArray()).forEach(d -> latest.put(d.appId(), d));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (App app : apps) {
            Map<String, Object> row = new HashMap<>();
            row.put("app", app);
            Optional.ofNullable(latest.get(app.id()))
                    .ifPresent(d -> row.put("latest", DeploymentView.of(d, app, links, now)));
            rows.add(row);
        }
        return new Page("apps", "Apps", viewer).with("rows", rows).with("renderedAt", now.toEpochMilli());
    }

    @GET
    @Path("apps/{slug}")
    public Page app(@Auth Viewer viewer, @PathParam("slug") String slug, @QueryParam("before") Long before) {
        App app = app(viewer, slug);
        Instant now = clock.instant();
        List<Deployment> page = deploymentDao.list(new DeploymentDao.Page(app.id(), before, PAGE_SIZE));
        return new Page("app", app.slug(), viewer)
                .with("app", app)
                .with("team", dashboard.teamSlug(app.teamId()))
                .with("repoUrl", links.repository(app).orElse(null))
                .with("latestBuilt", dashboard.latestBuilt(app.id()).map(d -> DeploymentView.of(d, app, links, now))
                        .orElse(null))
                .with("deployments", page.stream().map(d -> DeploymentView.of(d, app, links, now)).toList())
                .with("firstPage", before == null)
                .with("history", before == null ? HistoryView.of(steps.history(app.id(), HistoryView.LIMIT)) : null)
                .with("renderedAt", now.toEpochMilli())
                .with("nextBefore", page.size() == PAGE_SIZE ? page.get(page.size() - 1).id() : null);
    }

    @POST
    @Path("apps/{slug}/deploy")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response deploy(@Auth Viewer viewer, @FormParam("csrf") String csrf, @PathParam("slug") String slug,
                           @FormParam("commit_sha") String sha) {
        Pages.requireCsrf(viewer, csrf);
        App app = app(viewer, slug);
        limit(viewer, app);
        NewDeployment request;
        try {
            // A person pastes a SHA: spaces around it and upper case are mended here, on the form,
            // and nowhere else.
            request = NewDeployment.manual(app.id(), app.branch(),
                    sha == null || sha.isBlank() ? null : sha.strip().toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw Pages.error(422, "Cannot deploy", e.getMessage(), viewer);
        }
        Deployment created = deployments.request(request);
        return Pages.seeOther("/apps/" + app.slug() + "/deployments/" + created.id());
    }

    @GET
    @Path("apps/{slug}/deployments/{id}")
    public Page deployment(@Auth Viewer viewer, @PathParam("slug") String slug, @PathParam("id") String id) {
        App app = app(viewer, slug);
        Deployment d = deployment(viewer, app, id);
        List<LogChunkDao.Stored> tail = chunks.tailChunks(d.id(), TAIL_LINES);
        List<String> lines = new ArrayList<>();
        long first = 0;
        long end = 0;
        if (!tail.isEmpty()) {
            end = tail.get(tail.size() - 1).end();
            first = Math.max(0, end - TAIL_LINES);
            lines = LogLines.between(tail, first, end);
        }
        DeploymentView view = DeploymentView.of(d, app, links, clock.instant());
        // A finished build's steps that never recorded an end ran until the build ended, not until now.
        TimelineView timeline = TimelineView.of(Timeline.read(steps, d.id()),
                d.status().isBuildFinished() && d.buildFinishedAt() != null ? d.buildFinishedAt() : clock.instant());
        return new Page("deployment", app.slug() + " #" + d.id(), viewer)
                .with("timeline", timeline)
                .with("app", app)
                .with("d", view)
                .with("lines", lines)
                .with("firstLine", first)
                .with("endLine", end)
                // The page fills in the link itself when the clone learns the commit.
                .with("commitUrlTemplate", links.template(app).orElse(null))
                .with("checksUrl", app.isGitHub() && view.commitUrl() != null ? view.commitUrl() + "/checks" : null)
                .with("renderedAt", clock.millis());
    }

    /** "Show earlier lines": up to {@link #TAIL_LINES} lines before line {@code before}, as JSON. */
    @GET
    @Path("apps/{slug}/deployments/{id}/lines")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> earlier(@Auth Viewer viewer, @PathParam("slug") String slug,
                                       @PathParam("id") String id, @QueryParam("before") long before) {
        Deployment d = deployment(viewer, app(viewer, slug), id);
        long to = Math.max(0, before);
        long from = Math.max(0, to - TAIL_LINES);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("first", from);
        body.put("lines", LogLines.between(chunks.chunksBetween(d.id(), from, to), from, to));
        return body;
    }

    /**
     * The timeline as JSON, the API's {@code /steps} body for the page's script: it reads it again
     * when the status changes (the phases move then) and when the build ends.
     */
    @GET
    @Path("apps/{slug}/deployments/{id}/steps")
    @Produces(MediaType.APPLICATION_JSON)
    public Timeline timeline(@Auth Viewer viewer, @PathParam("slug") String slug, @PathParam("id") String id) {
        return Timeline.read(steps, deployment(viewer, app(viewer, slug), id).id());
    }

    /** The whole stored log as a file, for the viewer's teams only (tokens use the API's route). */
    @GET
    @Path("apps/{slug}/deployments/{id}/log.txt")
    @Produces(MediaType.TEXT_PLAIN + ";charset=utf-8")
    public Response download(@Auth Viewer viewer, @PathParam("slug") String slug, @PathParam("id") String id) {
        App app = app(viewer, slug);
        Deployment d = deployment(viewer, app, id);
        StreamingOutput body = out -> {
            // A page of chunks at a time: a 10 MiB log is never held whole in memory.
            long after = 0;
            while (true) {
                List<LogChunkDao.Stored> page = chunks.chunksAfter(d.id(), after, DOWNLOAD_CHUNKS);
                for (LogChunkDao.Stored chunk : page) {
                    out.write(chunk.content().getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                    after = chunk.end();
                }
                if (page.size() < DOWNLOAD_CHUNKS) {
                    return;
                }
            }
        };
        return Response.ok(body)
                .header("Content-Disposition",
                        "attachment; filename=\"" + app.slug() + "-deployment-" + d.id() + ".log\"")
                .header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "private, no-cache")
                .build();
    }

    @POST
    @Path("apps/{slug}/deployments/{id}/cancel")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response cancel(@Auth Viewer viewer, @FormParam("csrf") String csrf, @PathParam("slug") String slug,
                           @PathParam("id") String id) {
        Pages.requireCsrf(viewer, csrf);
        App app = app(viewer, slug);
        Deployment d = deployment(viewer, app, id);
        deployments.cancel(d);
        return Pages.seeOther("/apps/" + app.slug() + "/deployments/" + d.id());
    }

    @POST
    @Path("apps/{slug}/deployments/{id}/retry")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response retry(@Auth Viewer viewer, @FormParam("csrf") String csrf, @PathParam("slug") String slug,
                          @PathParam("id") String id) {
        Pages.requireCsrf(viewer, csrf);
        App app = app(viewer, slug);
        Deployment d = deployment(viewer, app, id);
        limit(viewer, app);
        Deployment retried = deployments.retry(app, d, "rhone:" + viewer.login());
        return Pages.seeOther("/apps/" + app.slug() + "/deployments/" + retried.id());
    }

    /** A person of the app's team lets a fork's pull request build (the page's Approve and build). */
    @POST
    @Path("apps/{slug}/deployments/{id}/approve")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response approve(@Auth Viewer viewer, @FormParam("csrf") String csrf, @PathParam("slug") String slug,
                            @PathParam("id") String id) {
        Pages.requireCsrf(viewer, csrf);
        App app = app(viewer, slug);
        Deployment d = deployment(viewer, app, id);
        deployments.approve(d, "rhone:" + viewer.login());
        return Pages.seeOther("/apps/" + app.slug() + "/deployments/" + d.id());
    }

    private App app(Viewer viewer, String slug) {
        return access.app(viewer, slug)
                .orElseThrow(() -> Pages.notFound("There is no app named '" + slug + "' in your teams.", viewer));
    }

    private Deployment deployment(Viewer viewer, App app, String id) {
        return access.deployment(viewer, app, id)
                .orElseThrow(() -> Pages.notFound("App " + app.slug() + " has no deployment " + id + ".", viewer));
    }

    private void limit(Viewer viewer, App app) {
        Optional<Duration> wait = limiter.admit(app.id());
        if (wait.isPresent()) {
            long seconds = wait.get().toSeconds();
            throw new jakarta.ws.rs.WebApplicationException(Pages.errorResponse(429, "Slow down",
                    "App " + app.slug() + " was deployed " + limiter.perMinute() + " times in the last minute. "
                            + "Try again in " + seconds + " s.", viewer)
                    .header("Retry-After", seconds).build());
        }
    }
}
