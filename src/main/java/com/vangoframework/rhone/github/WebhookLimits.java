package com.vangoframework.rhone.github;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Pattern;

/**
 * What bounds the webhook endpoint: the rate limits, the node's body budget, the timer and the
 * deadline for each body, and where a delivery's source address comes from.
 *
 * @param deadlines the timer that refuses bodies past their deadline; its owner stops it
 * @param addressHeader empty: the address is the connection's peer. Behind a proxy that every
 *     request comes through (Fly.io's), the peer is the proxy, and the per-address limits would
 *     count every sender as one; name the header in which that proxy puts the client's address
 *     ({@code Fly-Client-IP}). Only a proxy that overwrites the header may be named: a client
 *     that reaches the service directly could otherwise choose its own address.
 */
public record WebhookLimits(WebhookRateLimiter rates, WebhookBodyBudget budget, ScheduledExecutorService deadlines,
                            Duration bodyDeadline, String addressHeader) {

    /** An IPv4 or IPv6 address as a proxy writes it; anything else is not taken as one. */
    private static final Pattern ADDRESS = Pattern.compile("[0-9A-Fa-f.:]{2,45}");

    public WebhookLimits {
        addressHeader = addressHeader == null ? "" : addressHeader.trim();
    }

    /** The delivery's source, as the per-address limits count it. */
    String addressOf(HttpServletRequest request) {
        if (!addressHeader.isEmpty()) {
            String given = request.getHeader(addressHeader);
            if (given != null && ADDRESS.matcher(given.trim()).matches()) {
                return given.trim();
            }
        }
        return request.getRemoteAddr();
    }

    /** The deadline in whole seconds, at least one, as {@code Retry-After} carries it. */
    long deadlineSeconds() {
        return Math.max(1, (bodyDeadline.toMillis() + 999) / 1000);
    }
}
