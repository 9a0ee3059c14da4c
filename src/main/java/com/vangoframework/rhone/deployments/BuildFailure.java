package com.vangoframework.rhone.deployments;

/** A build that failed for a reason the user can act on; the message is shown as it is. */
public class BuildFailure extends Exception {

    public BuildFailure(String userMessage) {
        super(userMessage);
    }

    public BuildFailure(String userMessage, Throwable cause) {
        super(userMessage, cause);
    }
}
