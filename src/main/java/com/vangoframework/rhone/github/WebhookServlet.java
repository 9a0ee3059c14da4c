package com.vangoframework.rhone.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.db.DatabaseUnavailable;
import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /webhooks/github}. Everything about a delivery's headers that can be judged before
 * its body is, so junk is refused unread: an address refused too often (429), no secret
 * configured or no signature of the right form (401), a declared length over GitHub's 25 MB
 * (413). The body is then read without holding a thread ({@link WebhookBody}), under the node's
 * byte budget (503) and a deadline (408), into the HMAC as it arrives; only a body whose signature
 * matches is parsed, and then recorded and acted on in one short transaction. No GitHub API call
 * happens here: the answer goes back in milliseconds.
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
    private static final String BAD_SIGNATURE = "X-Hub-Signature-256 is missing or does not match the webhook secret";
    private static final Logger LOG = LoggerFactory.getLogger(WebhookServlet.class);

    private final transient WebhookSignature signature;
    private final transient WebhookHandler handler;
    private final transient WebhookRateLimiter limiter;
    private final transient WebhookLimits limits;
    private final transient ObjectMapper json;

    public WebhookServlet(WebhookSignature signature, WebhookHandler handler, WebhookLimits limits,
                          ObjectMapper json) {
        this.signature = signature;
        this.handler = handler;
        this.limiter = limits.rates();
        this.limits = limits;
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
        String address = limits.addressOf(request);
        var wait = limiter.refusing(address);
        if (wait.isPresent()) {
            LOG.warn("Webhook delivery {} from {} refused unread: too many refused deliveries from there (retry "
                    + "after {} s)", forLog(request.getHeader("X-GitHub-Delivery")), address, wait.get().toSeconds());
            response.setHeader("Retry-After", Long.toString(wait.get().toSeconds()));
            refuseUnread(response, 429, "too many refused deliveries from this address; retry after "
                    + wait.get().toSeconds() + " s");
            return;
        }
        if (!signature.isConfigured()) {
            refuseUnread(response, 401, "webhooks are disabled: GITHUB_WEBHOOK_SECRET is not set on this service");
            return;
        }
        Delivery delivery = new Delivery(address, request.getHeader("X-GitHub-Event"),
                request.getHeader("X-GitHub-Delivery"), request.getHeader("X-Hub-Signature-256"));
        if (!WebhookSignature.isWellFormed(delivery.signature())) {
            limiter.refused(address);
            refuseUnread(response, 401, BAD_SIGNATURE);
            return;
        }
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            limiter.refused(address);
            refuseUnread(response, 413, "the delivery is larger than GitHub's 25 MB limit");
            return;
        }
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // the body has its own deadline; see WebhookBody
        new WebhookBody(async, limits.budget(), address, signature.begin(), new Reception(delivery))
                .start(limits.deadlines(), limits.bodyDeadline());
    }

    /** The headers of one delivery, taken before its body is read. */
    private record Delivery(String address, String event, String id, String signature) {
    }

    /** Answers one delivery once its body is read, or its body's refusal. */
    private final class Reception implements WebhookBody.Receiver {
        private final Delivery delivery;

        Reception(Delivery delivery) {
            this.delivery = delivery;
        }

        @Override
        public void received(WebhookBody body, HttpServletResponse response) throws IOException {
            try {
                deliver(delivery, body, response);
            } catch (RuntimeException e) {
                // The database is down or the like: say so in the API's shape; GitHub shows the
                // delivery as failed, and the redelivery job asks for it again once the service
                // records it.
                if (DatabaseUnavailable.isCause(e)) {
                    // A 503 within the pool's bounds, not a hang: GitHub gives up on an answer after
                    // 10 s. Whether the delivery's transaction committed is unknown when the answer
                    // to its commit was what timed out; a redelivery is recognised if it did.
                    LOG.warn("Webhook delivery {}: the database did not answer in time; answered 503 ({})",
                            forLog(delivery.id()), DatabaseUnavailable.reason(e));
                    if (!response.isCommitted()) {
                        response.reset();
                        response.setHeader("Retry-After",
                                Integer.toString(DatabaseUnavailable.RETRY_AFTER_SECONDS));
                        error(response, 503, "the database is unreachable or too slow right now, so the delivery "
                                + "may not have been recorded; redeliver it (a delivery recorded already is "
                                + "recognised)");
                    }
                    return;
                }
                String id = UUID.randomUUID().toString();
                LOG.error("Webhook delivery {} could not be handled (error id {})", forLog(delivery.id()), id, e);
                if (!response.isCommitted()) {
                    response.reset();
                    error(response, 500, "the delivery could not be recorded (error id " + id
                            + "); it can be redelivered");
                }
            }
        }

        @Override
        public void refused(WebhookBody.Refusal refusal, HttpServletResponse response) throws IOException {
            response.setHeader("Connection", "close");
            switch (refusal) {
                case TOO_LARGE -> {
                    limiter.refused(delivery.address());
                    error(response, 413, "the delivery is larger than GitHub's 25 MB limit");
                }
                case TOO_SLOW -> {
                    limiter.refused(delivery.address());
                    error(response, 408, "the delivery's body did not arrive within " + describe(limits.bodyDeadline()));
                }
                case OVER_BUDGET -> {
                    // Not counted against the address: this may be GitHub's delivery, arriving
                    // while others fill the budget. It is asked for again later.
                    long seconds = limits.deadlineSeconds();
                    LOG.warn("Webhook delivery {} from {} refused: {} bytes of bodies are being read already",
                            forLog(delivery.id()), delivery.address(), limits.budget().inFlight());
                    response.setHeader("Retry-After", Long.toString(seconds));
                    error(response, 503, "too many delivery bodies are being read at once; retry after "
                            + seconds + " s");
                }
            }
        }
    }

    private void deliver(Delivery d, WebhookBody body, HttpServletResponse response) throws IOException {
        if (!body.signedWith(d.signature())) {
            limiter.refused(d.address());
            error(response, 401, BAD_SIGNATURE);
            return;
        }
        var wait = limiter.admitVerified();
        if (wait.isPresent()) {
            LOG.warn("Webhook delivery {} from {} refused: rate limit (retry after {} s)", forLog(d.id()), d.address(),
                    wait.get().toSeconds());
            response.setHeader("Retry-After", Long.toString(wait.get().toSeconds()));
            error(response, 429, "too many deliveries; retry after " + wait.get().toSeconds() + " s");
            return;
        }
        String event = d.event();
        String delivery = d.id();
        if (event == null || !EVENT.matcher(event).matches()) {
            error(response, 400, "X-GitHub-Event is missing or malformed");
            return;
        }
        if (delivery == null || !DELIVERY.matcher(delivery).matches()) {
            error(response, 400, "X-GitHub-Delivery is missing or malformed");
            return;
        }
        JsonNode payload;
        try (InputStream content = body.content()) {
            // All of the body must be the one object: trailing tokens make it invalid.
            payload = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(content);
        } catch (JsonProcessingException e) {
            refuseSigned(response, delivery, event, "the delivery body is not valid JSON");
            return;
        }
        if (payload == null || payload.isMissingNode() || !payload.isObject()) {
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
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("delivery", delivery);
        answer.put("outcome", result.outcome());
        answer.put("deployment_ids", result.deploymentIds());
        answer.put("duplicate", result.duplicate());
        write(response, result.deploymentIds().isEmpty() ? 200 : 202, answer);
    }

    /** A delivery signed with our secret but malformed: recorded with the reason, then a 400. */
    private void refuseSigned(HttpServletResponse response, String delivery, String event, String reason)
            throws IOException {
        handler.recordRejected(delivery, event, null, null, null, reason);
        error(response, 400, reason);
    }

    /**
     * An answer before the body is read: the connection closes after it, since reading away a
     * body that may be 25 MB (or never end) is what these answers are there to avoid.
     */
    private void refuseUnread(HttpServletResponse response, int status, String message) throws IOException {
        response.setHeader("Connection", "close");
        error(response, status, message);
    }

    /** "10 s", or "500 ms" below a second. */
    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
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

    /**
     * A delivery id as the logs may show it: GitHub's shape, or a placeholder. The header is the
     * sender's, read before anything is verified: up to 8 KiB of anything, at warning level.
     */
    static String forLog(String delivery) {
        return delivery != null && DELIVERY.matcher(delivery).matches() ? delivery : "(missing or malformed id)";
    }
}
