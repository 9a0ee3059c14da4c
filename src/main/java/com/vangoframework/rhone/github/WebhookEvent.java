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
        return Names.exactSha(value).orElseThrow(() ->
                new WebhookRejected(field + " is not a 40-character commit SHA"));
    }

    /** {@code installation.id} of an installation event: a positive number, or a 400. */
    static long installationId(JsonNode payload) {
        JsonNode id = payload.path("installation").path("id");
        if (!id.canConvertToLong() || !id.isIntegralNumber() || id.asLong() <= 0) {
            throw new WebhookRejected("installation.id is missing or not a positive number");
        }
        return id.asLong();
    }

    /** A repository's {@code full_name} in a list of the payload, or a 400 naming the entry. */
    static String repositoryName(JsonNode repository, String where) {
        String name = text(repository, "full_name");
        Names.checkRepo(where + ".full_name", name).ifPresent(problem -> {
            throw new WebhookRejected(problem);
        });
        return name;
    }

    /** A branch name from the payload, or a 400 saying what is wrong with it. */
    static String branch(String value) {
        Names.checkBranch("branch", value).ifPresent(problem -> {
            throw new WebhookRejected(problem);
        });
        return value;
    }
}
