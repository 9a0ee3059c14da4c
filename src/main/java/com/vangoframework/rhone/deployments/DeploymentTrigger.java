package com.vangoframework.rhone.deployments;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** What asked for a deployment. {@code pull_request} builds are build-only and never deployed. */
public enum DeploymentTrigger {
    PUSH, PULL_REQUEST, MANUAL, RETRY, REREQUESTED;

    /**
     * Sent by GitHub in a webhook delivery (a push, a pull request, the Re-run button), as opposed
     * to asked through rhone's API or dashboard by someone waiting for the answer.
     */
    public boolean isFromGitHub() {
        return this == PUSH || this == PULL_REQUEST || this == REREQUESTED;
    }

    @JsonValue
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeploymentTrigger fromDb(String value) {
        return Arrays.stream(values()).filter(t -> t.dbValue().equals(value)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown deployment trigger: " + value));
    }
}
