package com.vangoframework.rhone.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /webhooks/github}. The signature is checked on the raw bytes before anything parses
 * them; only then is the delivery recorded and acted on, in one short transaction. No GitHub API
 * call happens here: the answer goes back in milliseconds.
 *
 * <p>A plain servlet rather than a Jersey resource: this endpoint takes GitHub's whole delivery
 * rate, and Jersey's per-request machinery (injection, filters, entity providers) was a fifth of
 * its CPU. Errors keep the API's JSON shape ({@code {"code": 401, "message": "..."}}).
 */
public final class WebhookServlet extends HttpServlet {

    @Serial
    private static final long serialVersionUID = 1L;
    /** GitHub caps payloads at 25 MB. */
    static final int MAX_BODY_BYTES = 25 * 1024 * 1024;
    private static final Pattern EVENT = Pattern.compile("[a-z_]{1,64}");
    private static final Pattern DELIVERY = Pattern.compile("[A-Za-z0-9-]{1,100}");
    private static final Logger LOG = LoggerFactory.getLogger(WebhookServlet.class);

    private final transient WebhookSignature signature;
    private final transient WebhookHandler handler;
    private final transient WebhookRateLimiter limiter;
    private final transient ObjectMapper json;

    public WebhookServlet(WebhookSignature signature, WebhookHandler handler, WebhookRateLimiter limiter,
                          ObjectMapper json) {
        this.signature = signature;
        this.handler = handler;
        this.limiter = limiter;
        this.json = json;
    }

    /** Only POST; anything else gets a JSON 405 like the rest of the API. */
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            error(response, 405, "deliveries are POSTed");
            return;
        }
        try {
            deliver(request, response);
        } catch (IOException e) {
            throw e; // the connection broke; nothing to answer
        } catch (RuntimeException e) {
            // The database is down or the like: say so in the API's shape; GitHub shows the delivery
            // as failed, and the redelivery job asks for it again once the service records it.
            String id = java.util.UUID.randomUUID().toString();
            LOG.error("Webhook delivery {} could not be handled (error id {})", request.getHeader("X-GitHub-Delivery"),
                    id, e);
            if (!response.isCommitted()) {
                response.reset();
                error(response, 500, "the delivery could not be recorded (error id " + id + "); it can be redelivered");
            }
        }
    }

    private void deliver(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String delivery = request.getHeader("X-GitHub-Delivery");
        var wait = limiter.admit(request.getRemoteAddr());
        if (wait.isPresent()) {
            refuseForRate(request, response, delivery, wait.get().toSeconds());
            return;
        }
        if (!signature.isConfigured()) {
            error(response, 401, "webhooks are disabled: GITHUB_WEBHOOK_SECRET is not set on this service");
            return;
        }
        byte[] raw = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
        if (raw.length > MAX_BODY_BYTES) {
            response.setHeader("Connection", "close");
            error(response, 413, "the delivery is larger than GitHub's 25 MB limit");
            return;
        }
        if (!signature.verify(raw, request.getHeader("X-Hub-Signature-256"))) {
            error(response, 401, "X-Hub-Signature-256 is missing or does not match the webhook secret");
            return;
        }
        String event = request.getHeader("X-GitHub-Event");
        if (event == null || !EVENT.matcher(event).matches()) {
            error(response, 400, "X-GitHub-Event is missing or malformed");
            return;
        }
        if (delivery == null || !DELIVERY.matcher(delivery).matches()) {
            error(response, 400, "X-GitHub-Delivery is missing or malformed");
            return;
        }
        JsonNode payload;
        try {
            // All of the body must be the one object: trailing tokens make it invalid.
            payload = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(raw);
        } catch (JsonProcessingException e) {
            refuseSigned(response, delivery, event, "the delivery body is not valid JSON");
            return;
        }
        if (payload == null || !payload.isObject()) {
            refuseSigned(response, delivery, event, "the delivery body must be a JSON object");
            return;
        }
        WebhookHandler.Result result;
        try {
            result = handler.handle(delivery, event, payload);
        } catch (WebhookRejected e) {
            error(response, 400, e.getMessage());
            return;
        }
        LOG.info("GitHub delivery {} ({}): {}", delivery, event, result.outcome());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("delivery", delivery);
        body.put("outcome", result.outcome());
        body.put("deployment_ids", result.deploymentIds());
        body.put("duplicate", result.duplicate());
        write(response, result.deploymentIds().isEmpty() ? 200 : 202, body);
    }

    /** A delivery signed with our secret but malformed: recorded with the reason, then a 400. */
    private void refuseSigned(HttpServletResponse response, String delivery, String event, String reason)
            throws IOException {
        handler.recordRejected(delivery, event, null, null, null, reason);
        error(response, 400, reason);
    }

    private void refuseForRate(HttpServletRequest request, HttpServletResponse response, String delivery,
                               long seconds) throws IOException {
        LOG.warn("Webhook delivery {} from {} refused: rate limit (retry after {} s)", delivery,
                request.getRemoteAddr(), seconds);
        // Answering before the body is read can make the server drop the connection under the
        // client; read a small body away, and close the connection rather than read a large one.
        if (!drain(request.getInputStream())) {
            response.setHeader("Connection", "close");
        }
        response.setHeader("Retry-After", Long.toString(seconds));
        error(response, 429, "too many deliveries; retry after " + seconds + " s");
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

    private void error(HttpServletResponse response, int status, String message) throws IOException {
        write(response, status, new ErrorMessage(status, message));
    }

    private void write(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
