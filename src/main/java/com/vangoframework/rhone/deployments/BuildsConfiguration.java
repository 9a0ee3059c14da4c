package com.vangoframework.rhone.deployments;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** The build queue of one node. */
public class BuildsConfiguration {

    /** Builds this node runs at once; match the BuildKit daemon's max-parallelism. */
    @Min(1)
    @Max(64)
    private int maxConcurrent = 4;

    /** Whether this node claims builds at all (an API-only node sets false). */
    private boolean workerEnabled = true;

    /** How long a claim lives without renewal; it is renewed every third of this. */
    @NotNull
    private Duration leaseDuration = Duration.seconds(30);

    /** Fallback poll when no notification arrives (LISTEN/NOTIFY wakes idle workers at once). */
    @NotNull
    private Duration pollInterval = Duration.seconds(5);

    /** How often expired leases are looked for. */
    @NotNull
    private Duration reapInterval = Duration.seconds(5);

    /** Claims of one deployment before a lost one is failed instead of requeued (2: requeued once). */
    @Min(1)
    @Max(10)
    private int maxAttempts = 2;

    /** On shutdown, how long running builds get to finish before they are handed back to the queue. */
    @NotNull
    private Duration shutdownGrace = Duration.seconds(30);

    /** The queue health check fails when startable work has waited this long while slots are free. */
    @NotNull
    private Duration stuckThreshold = Duration.minutes(2);

    /** This node's name in lease_owner; empty means host:pid:random. */
    private String nodeId = "";

    /**
     * Builds of two teams never run at once on the builder, across every node on the database
     * (the claim waits for the other team's running builds to end; teams take turns in request order).
     */
    private boolean oneTeamAtATime = false;

    @JsonProperty
    public int getMaxConcurrent() {
        return maxConcurrent;
    }

    @JsonProperty
    public void setMaxConcurrent(int maxConcurrent) {
        this.maxConcurrent = maxConcurrent;
    }

    @JsonProperty
    public boolean isWorkerEnabled() {
        return workerEnabled;
    }

    @JsonProperty
    public void setWorkerEnabled(boolean workerEnabled) {
        this.workerEnabled = workerEnabled;
    }

    @JsonProperty
    public Duration getLeaseDuration() {
        return leaseDuration;
    }

    @JsonProperty
    public void setLeaseDuration(Duration leaseDuration) {
        this.leaseDuration = leaseDuration;
    }

    @JsonProperty
    public Duration getPollInterval() {
        return pollInterval;
    }

    @JsonProperty
    public void setPollInterval(Duration pollInterval) {
        this.pollInterval = pollInterval;
    }

    @JsonProperty
    public Duration getReapInterval() {
        return reapInterval;
    }

    @JsonProperty
    public void setReapInterval(Duration reapInterval) {
        this.reapInterval = reapInterval;
    }

    @JsonProperty
    public int getMaxAttempts() {
        return maxAttempts;
    }

    @JsonProperty
    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    @JsonProperty
    public Duration getShutdownGrace() {
        return shutdownGrace;
    }

    @JsonProperty
    public void setShutdownGrace(Duration shutdownGrace) {
        this.shutdownGrace = shutdownGrace;
    }

    @JsonProperty
    public Duration getStuckThreshold() {
        return stuckThreshold;
    }

    @JsonProperty
    public void setStuckThreshold(Duration stuckThreshold) {
        this.stuckThreshold = stuckThreshold;
    }

    @JsonProperty
    public String getNodeId() {
        return nodeId;
    }

    @JsonProperty
    public void setNodeId(String nodeId) {
        this.nodeId = nodeId == null ? "" : nodeId;
    }

    @JsonProperty
    public boolean isOneTeamAtATime() {
        return oneTeamAtATime;
    }

    @JsonProperty
    public void setOneTeamAtATime(boolean oneTeamAtATime) {
        this.oneTeamAtATime = oneTeamAtATime;
    }
}
