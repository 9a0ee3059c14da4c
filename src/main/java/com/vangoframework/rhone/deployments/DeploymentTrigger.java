package com.vangoframework.rhone.deployments;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** What asked for a deployment. {@code pull_request} builds are build-only and never deployed. */
public enum DeploymentTrigger {
    PUSH, PULL_REQUEST, MANUAL, RETRY, REREQUESTED;

    @JsonValue
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeploymentTrigger fromDb(String value) {
        return Arrays.stream(values()).filter(t -> t.dbValue().equals(value)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown deployment trigger: " + value));
    }
}
