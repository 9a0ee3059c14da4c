package com.vangoframework.rhone.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** The {@code dashboard:} section: sign-in, live logs and the pace of Deploy and Retry. */
public class DashboardConfiguration {

    /** Client id and secret of the GitHub App's OAuth ("Sign in with GitHub"); empty: login links only. */
    private String oauthClientId = "";
    private String oauthClientSecret = "";
    /** A comment on an idle SSE stream this often keeps proxies from closing it. */
    @NotNull
    @io.dropwizard.validation.MinDuration(value = 100, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
    private Duration heartbeat = Duration.seconds(15);
    /**
     * Live streams (build logs and live app pages together) this node serves at once (each holds a
     * thread); more get 503 and Retry-After.
     */
    @Min(1)
    private int maxStreams = 512;
    /** Of those, what one dashboard session may hold (several tabs); more get 429 and Retry-After. */
    @Min(1)
    private int maxStreamsPerSession = 8;
    /** Of those, what may show one team's data (its people's tabs together); more get 429 and Retry-After. */
    @Min(1)
    private int maxStreamsPerTeam = 64;
    /** A log stream of a deployment that has waited to start this long ends; the browser comes back later. */
    @NotNull
    @io.dropwizard.validation.MinDuration(value = 1, unit = java.util.concurrent.TimeUnit.SECONDS)
    private Duration waitingStreamIdle = Duration.minutes(5);
    /** ... after this long (the {@code retry:} it is sent). */
    @NotNull
    @io.dropwizard.validation.MinDuration(value = 1, unit = java.util.concurrent.TimeUnit.SECONDS)
    private Duration waitingStreamRetry = Duration.minutes(1);
    /**
     * Deploy and Retry per app per minute on the dashboard, and per API token and app on the API;
     * more get 429 with Retry-After.
     */
    @Min(1)
    @Max(10_000)
    private int deploysPerMinute = 6;
    /** Build logs of deployments finished longer ago than this are deleted; 0 keeps them. */
    @Min(0)
    private int logRetentionDays = 90;

    @JsonProperty public String getOauthClientId() { return oauthClientId; }
    @JsonProperty public void setOauthClientId(String v) { this.oauthClientId = v == null ? "" : v.trim(); }
    @JsonProperty public String getOauthClientSecret() { return oauthClientSecret; }
    @JsonProperty public void setOauthClientSecret(String v) { this.oauthClientSecret = v == null ? "" : v.trim(); }
    @JsonProperty public Duration getHeartbeat() { return heartbeat; }
    @JsonProperty public void setHeartbeat(Duration heartbeat) { this.heartbeat = heartbeat; }
    @JsonProperty public int getMaxStreams() { return maxStreams; }
    @JsonProperty public void setMaxStreams(int v) { this.maxStreams = v; }
    @JsonProperty public int getMaxStreamsPerSession() { return maxStreamsPerSession; }
    @JsonProperty public void setMaxStreamsPerSession(int v) { this.maxStreamsPerSession = v; }
    @JsonProperty public int getMaxStreamsPerTeam() { return maxStreamsPerTeam; }
    @JsonProperty public void setMaxStreamsPerTeam(int v) { this.maxStreamsPerTeam = v; }
    @JsonProperty public Duration getWaitingStreamIdle() { return waitingStreamIdle; }
    @JsonProperty public void setWaitingStreamIdle(Duration v) { this.waitingStreamIdle = v; }
    @JsonProperty public Duration getWaitingStreamRetry() { return waitingStreamRetry; }
    @JsonProperty public void setWaitingStreamRetry(Duration v) { this.waitingStreamRetry = v; }
    @JsonProperty public int getDeploysPerMinute() { return deploysPerMinute; }
    @JsonProperty public void setDeploysPerMinute(int v) { this.deploysPerMinute = v; }
    @JsonProperty public int getLogRetentionDays() { return logRetentionDays; }
    @JsonProperty public void setLogRetentionDays(int v) { this.logRetentionDays = v; }

    public boolean oauthEnabled() {
        return !oauthClientId.isEmpty() && !oauthClientSecret.isEmpty();
    }
}
