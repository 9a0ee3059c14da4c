package com.vangoframework.rhone.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.vangoframework.rhone.apps.Names;

/**
 * A verified delivery: the fields every event carries, read once, and the payload the event's
 * handler reads the rest from. The payload stays a tree: the servlet parses it before anyone knows
 * which fields the event needs, and this is the parse the webhook benchmark measured.
 */
record WebhookEvent(String deliveryId, String event, String action, Long installation, String repository,
                    JsonNode payload) {

    static WebhookEvent of(String deliveryId, String event, JsonNode payload) {
        JsonNode installation = payload.path("installation");
        return new WebhookEvent(deliveryId, event, text(payload, "action"),
                installation.has("id") ? installation.path("id").asLong() : null,
                text(payload.path("repository"), "full_name"), payload);
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** A commit SHA from the payload, or a 400 naming the field. */
    static String sha(String value, String field) {
        return Names.normalizeSha(value).orElseThrow(() ->
                new WebhookRejected(field + " is not a 40-character commit SHA"));
    }

    /** A branch name from the payload, or a 400 saying what is wrong with it. */
    static String branch(String value) {
        Names.checkBranch("branch", value).ifPresent(problem -> {
            throw new WebhookRejected(problem);
        });
        return value;
    }
}
