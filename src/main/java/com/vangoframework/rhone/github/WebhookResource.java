package com.vangoframework.rhone.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.web.ApiErrors;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /webhooks/github}. The signature is checked on the raw bytes before anything parses
 * them; only then is the delivery recorded and acted on, in one short transaction. No GitHub API
 * call happens here: the answer goes back in milliseconds.
 */
@Path("/webhooks/github")
@Produces(MediaType.APPLICATION_JSON)
public final class WebhookResource {

    /** GitHub caps payloads at 25 MB. */
    static final int MAX_BODY_BYTES = 25 * 1024 * 1024;
    private static final Pattern EVENT = Pattern.compile("[a-z_]{1,64}");
    private static final Pattern DELIVERY = Pattern.compile("[A-Za-z0-9-]{1,100}");
    private static final Logger LOG = LoggerFactory.getLogger(WebhookResource.class);

    private final WebhookSignature signature;
    private final WebhookHandler handler;
    private final WebhookRateLimiter limiter;
    private final ObjectMapper json;

    public WebhookResource(WebhookSignature signature, WebhookHandler handler, WebhookRateLimiter limiter,
                           ObjectMapper json) {
        this.signature = signature;
        this.handler = handler;
        this.limiter = limiter;
        this.json = json;
    }

    /** Reads and drops up to 1 MiB; true when that was the whole body. */
    private static boolean drain(InputStream body) throws IOException {
        byte[] chunk = new byte[8192];
        long total = 0;
        int n;
        while ((n = body.read(chunk)) >= 0) {
            total += n;
            if (total > 1024 * 1024) {
                return false;
            }
        }
        return true;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response deliver(@HeaderParam("X-Hub-Signature-256") String sig,
                            @HeaderParam("X-GitHub-Event") String event,
                            @HeaderParam("X-GitHub-Delivery") String delivery,
                            @jakarta.ws.rs.core.Context jakarta.servlet.http.HttpServletRequest request,
                            InputStream body) throws IOException {
        var wait = limiter.admit(request.getRemoteAddr());
        if (wait.isPresent()) {
            LOG.warn("Webhook delivery {} from {} refused: rate limit (retry after {} s)", delivery,
                    request.getRemoteAddr(), wait.get().toSeconds());
            // Answering before the body is read can make the server drop the connection under the
            // client; read a small body away, and close the connection rather than read a large one.
            boolean drained = drain(body);
            return ApiErrors.response(429, "too many deliveries; retry after " + wait.get().toSeconds() + " s")
                    .header("Retry-After", wait.get().toSeconds())
                    .header("Connection", drained ? null : "close")
                    .build();
        }
        if (!signature.isConfigured()) {
            throw ApiErrors.error(401, "webhooks are disabled: GITHUB_WEBHOOK_SECRET is not set on this service");
        }
        byte[] raw = body.readNBytes(MAX_BODY_BYTES + 1);
        if (raw.length > MAX_BODY_BYTES) {
            return ApiErrors.response(413, "the delivery is larger than GitHub's 25 MB limit")
                    .header("Connection", "close").build();
        }
        if (!signature.verify(raw, sig)) {
            throw ApiErrors.error(401, "X-Hub-Signature-256 is missing or does not match the webhook secret");
        }
        if (event == null || !EVENT.matcher(event).matches()) {
            throw ApiErrors.badRequest("X-GitHub-Event is missing or malformed");
        }
        if (delivery == null || !DELIVERY.matcher(delivery).matches()) {
            throw ApiErrors.badRequest("X-GitHub-Delivery is missing or malformed");
        }
        JsonNode payload;
        try {
            payload = json.readTree(raw);
        } catch (JsonProcessingException e) {
            throw ApiErrors.badRequest("the delivery body is not valid JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw ApiErrors.badRequest("the delivery body must be a JSON object");
        }
        WebhookHandler.Result result;
        try {
            result = handler.handle(delivery, event, payload);
        } catch (WebhookRejected e) {
            throw ApiErrors.badRequest(e.getMessage());
        }
        LOG.info("GitHub delivery {} ({}): {}", delivery, event, result.outcome());
        return Response.status(result.deploymentIds().isEmpty() ? 200 : 202)
                .entity(Map.of("delivery", delivery, "outcome", result.outcome(),
                        "deployment_ids", result.deploymentIds(), "duplicate", result.duplicate()))
                .build();
    }
}
