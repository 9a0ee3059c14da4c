package com.vangoframework.rhone.web.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.apps.App;
import com.vangoframework.rhone.apps.TeamPrincipal;
import com.vangoframework.rhone.deployments.Deployment;
import com.vangoframework.rhone.deployments.DeploymentDao;
import com.vangoframework.rhone.deployments.DeploymentService;
import com.vangoframework.rhone.deployments.DeploymentStatus;
import com.vangoframework.rhone.deployments.IdempotencyKey;
import com.vangoframework.rhone.deployments.NewDeployment;
import com.vangoframework.rhone.logs.LogStore;
import com.vangoframework.rhone.web.ApiErrors;
import com.vangoframework.rhone.web.AppAccess;
import com.vangoframework.rhone.web.DeployRateLimiter;
import io.dropwizard.auth.Auth;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The team-scoped deployments API. Every route resolves the app through the caller's team
 * ({@link AppAccess}), so another team's app or deployment is a 404, exactly like one that does
 * not exist. A deployment conflict is a 409 from {@code web.DeploymentConflictMapper}, a request past
 * the team's quota of waiting deployments a 429 from {@code web.PendingQuotaMapper}, an
 * {@code Idempotency-Key} reused for another request a 422 from {@code web.IdempotencyConflictMapper},
 * a database that does not answer a 503 from {@code web.DatabaseUnavailableMapper}. New deployments
 * (create and retry) come at the dashboard's pace, per token and app: past it, a 429 with
 * {@code Retry-After}.
 */
@Path("/api/apps/{slug}/deployments")
@Produces(MediaType.APPLICATION_JSON)
public final class DeploymentResource {

    static final int MAX_PAGE = 100;
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";

    private final AppAccess access;
    private final DeploymentService deployments;
    private final DeploymentDao dao;
    private final LogStore logs;
    private final ObjectMapper json;
    private final DeployRateLimiter<DeployRateLimiter.TokenApp> limiter;

    public DeploymentResource(AppAccess access, DeploymentService deployments, DeploymentDao dao, LogStore logs,
                              ObjectMapper json, DeployRateLimiter<DeployRateLimiter.TokenApp> limiter) {
        this.limiter = limiter;
        this.access = access;
        this.deployments = deployments;
        this.dao = dao;
        this.logs = logs;
        this.json = json;
    }

    /**
     * Body (optional): {@code {"commit_sha": "<40 hex>"}}; without one the branch head is built.
     * With an {@code Idempotency-Key} header, a retry of the same request within 24 hours answers
     * with the deployment the first one made ({@code Idempotent-Replayed: true}) and creates nothing.
     */
    @POST
    public Response create(@Auth TeamPrincipal team, @PathParam("slug") String slug, @Context HttpHeaders headers,
                           byte[] body) {
        App app = app(team, slug);
        String sha = commitShaFrom(body);
        NewDeployment request;
        try {
            request = NewDeployment.manual(app.id(), app.branch(), sha);
        } catch (IllegalArgumentException e) {
            throw ApiErrors.unprocessable(e.getMessage());
        }
        Optional<IdempotencyKey> key = idempotencyKey(headers, team, request);
        // A retry is answered before the pace is counted: it creates nothing, so it spends nothing.
        Optional<Deployment> earlier = key.flatMap(deployments::earlier);
        if (earlier.isPresent()) {
            return created(earlier.get(), true);
        }
        limit(team, app); // after validation: a malformed request spends nothing
        if (key.isEmpty()) {
            return created(deployments.request(request), false);
        }
        DeploymentService.Requested requested = deployments.request(request, key.get());
        return created(requested.deployment(), requested.replayed());
    }

    private static Response created(Deployment deployment, boolean replayed) {
        Response.ResponseBuilder answer = Response.status(Response.Status.CREATED).entity(deployment);
        return replayed ? answer.header(REPLAYED, "true").build() : answer.build();
    }

    /** The request's key, if it sent one; 400 for more than one, or one that is not a key. */
    private static Optional<IdempotencyKey> idempotencyKey(HttpHeaders headers, TeamPrincipal team,
                                                           NewDeployment request) {
        List<String> values = headers.getRequestHeader(IDEMPOTENCY_KEY);
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw ApiErrors.badRequest("send one Idempotency-Key header, not " + values.size());
        }
        try {
            return Optional.of(IdempotencyKey.of(team.teamId(), request, values.get(0)));
        } catch (IllegalArgumentException e) {
            throw ApiErrors.badRequest(e.getMessage());
        }
    }

    @GET
    public Map<String, Object> list(@Auth TeamPrincipal team, @PathParam("slug") String slug,
                                    @QueryParam("limit") Integer limit, @QueryParam("before") Long before) {
        App app = app(team, slug);
        int size = limit == null ? 20 : limit;
        if (size < 1 || size > MAX_PAGE) {
            throw ApiErrors.unprocessable("limit must be between 1 and " + MAX_PAGE);
        }
        List<Deployment> page = dao.list(new DeploymentDao.Page(app.id(), before, size));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("deployments", page);
        result.put("next_before", page.size() == size ? page.get(page.size() - 1).id() : null);
        return result;
    }

    @GET
    @Path("/{id}")
    public Deployment get(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        return deployment(team, app(team, slug), id);
    }

    /** The stored build log as plain text (secrets were masked before it was stored). */
    @GET
    @Path("/{id}/log")
    @Produces(MediaType.TEXT_PLAIN + "; charset=utf-8")
    public String log(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        return logs.read(deployment(team, app(team, slug), id).id());
    }

    @POST
    @Path("/{id}/cancel")
    public Response cancel(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        Deployment after = deployments.cancel(deployment(team, app(team, slug), id));
        // 202: a running build was asked to stop and will end as cancelled shortly.
        Response.Status status = after.status() == DeploymentStatus.CANCELLED
                ? Response.Status.OK : Response.Status.ACCEPTED;
        return Response.status(status).entity(after).build();
    }

    @POST
    @Path("/{id}/retry")
    public Response retry(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        App app = app(team, slug);
        Deployment d = deployment(team, app, id);
        limit(team, app);
        return Response.status(Response.Status.CREATED)
                .entity(deployments.retry(app, d, approver(team))).build();
    }

    /** Lets a fork's pull request that awaits approval build; 409 when it is not waiting. */
    @POST
    @Path("/{id}/approve")
    public Deployment approve(@Auth TeamPrincipal team, @PathParam("slug") String slug, @PathParam("id") String id) {
        return deployments.approve(deployment(team, app(team, slug), id), approver(team));
    }

    /** An API token acts for its team: approvals and retries record it as {@code rhone:token:<team>}. */
    private static String approver(TeamPrincipal team) {
        return "rhone:token:" + team.teamSlug();
    }

    private void limit(TeamPrincipal team, App app) {
        limiter.admit(new DeployRateLimiter.TokenApp(team.tokenId(), app.id())).ifPresent(wait -> {
            throw new WebApplicationException(ApiErrors.response(429, "this token asked for "
                            + limiter.perMinute() + " deployments of app " + app.slug() + " in the last minute; "
                            + "try again in " + wait.toSeconds() + " s")
                    .header("Retry-After", wait.toSeconds()).build());
        });
    }

    private App app(TeamPrincipal team, String slug) {
        return ApiErrors.found(access.app(team, slug), () -> "no app named '" + slug + "' in your team");
    }

    private Deployment deployment(TeamPrincipal team, App app, String id) {
        return ApiErrors.found(access.deployment(team, app, id), () -> "no deployment " + id + " in app " + app.slug());
    }

    private String commitShaFrom(byte[] body) {
        if (body == null || new String(body, StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        JsonNode node;
        try {
            // Trailing tokens ({"commit_sha": "…"}garbage, "{} x") make the whole body invalid:
            // a body is accepted only if all of it is the one JSON object.
            node = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiErrors.badRequest("the request body is not valid JSON");
        } catch (java.io.IOException e) {
            throw ApiErrors.badRequest("the request body could not be read");
        }
        if (node == null || !node.isObject()) {
            throw ApiErrors.badRequest("the request body must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("commit_sha")) {
                throw ApiErrors.unprocessable("unknown field '" + name + "'; the only field is commit_sha");
            }
        }
        JsonNode sha = node.get("commit_sha");
        if (sha == null || sha.isNull()) {
            return null;
        }
        if (!sha.isTextual()) {
            throw ApiErrors.unprocessable("commit_sha must be a string of 40 lower-case hexadecimal characters");
        }
        return sha.asText();
    }
}
