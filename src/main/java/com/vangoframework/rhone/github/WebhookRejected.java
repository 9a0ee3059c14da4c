package com.vangoframework.rhone.github;

/** A signed delivery whose content is unusable (bad SHA, bad branch name): 400, nothing recorded. */
public final class WebhookRejected extends RuntimeException {

    public WebhookRejected(String message) {
        super(message);
    }
}
