package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.concurrent.TimeUnit;

/** How this node builds images. Every field has an env var in config.yml. */
public class BuilderConfiguration {

    /** {@code docker}: the local Docker engine's BuildKit; {@code buildctl}: the rhone-builder daemon. */
    @Pattern(regexp = "docker|buildctl", message = "must be docker or buildctl")
    private String type = "docker";

    /** Images are pushed as {@code <registry>/<app-slug>:<sha12>}. */
    @NotEmpty
    private String registry = "127.0.0.1:5000";
    private String registryUser = "";
    private String registryPassword = "";

    private String dockerBinary = "/usr/bin/docker";
    private String buildctlBinary = "buildctl";
    private String buildkitAddr = "tcp://rhone-builder.internal:1234";
    private String buildkitCaCert = "";
    private String buildkitCert = "";
    private String buildkitKey = "";

    private String railpackBinary = "railpack";
    /** Pinned: a new frontend release must be a deliberate upgrade. */
    private String railpackFrontend = "ghcr.io/railwayapp/railpack-frontend:v0.37.0";

    /**
     * Checkouts and per-build private files; each build gets its own directory, removed after.
     * Relative to where rhone starts, and not under the data dir (which holds secret.key and
     * postgres.password): a build's files never sit next to the service's secrets.
     */
    private String workDir = DEFAULT_WORK_DIR;
    public static final String DEFAULT_WORK_DIR = "builds";

    /** How often the work directories that builds left behind (a node killed) are removed; also at start. */
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration workDirSweepInterval = Duration.minutes(10);

    /** A commit's files and bytes, counted from the fetched objects before its tree is written. */
    @Min(1)
    private long checkoutMaxBytes = CheckoutGuard.Limits.DEFAULT.maxBytes();
    @Min(1)
    private long checkoutMaxFiles = CheckoutGuard.Limits.DEFAULT.maxFiles();

    /**
     * A push that fails on something the registry or the network may get over (connection
     * refused or reset, a timeout, HTTP 5xx) is tried again this many times, after
     * {@code pushRetryDelay}, then twice as long each time (at most a minute per wait).
     */
    @Min(0)
    @jakarta.validation.constraints.Max(10)
    private int pushRetries = 3;
    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
    @io.dropwizard.validation.MaxDuration(value = 1, unit = TimeUnit.MINUTES)
    private Duration pushRetryDelay = Duration.seconds(1);

    @NotNull
    private Duration cloneTimeout = Duration.minutes(5);

    /** Stored log per deployment: its first half as printed, then the last lines when the build ends. */
    @Min(value = 4096, message = "must be at least 4096 (half of it is the log's head, half its tail)")
    private long logCapBytes = 10L * 1024 * 1024;

    /** Web and git base URL of GitHub (clone URLs are {@code <gitHubUrl>/owner/name.git}). */
    private String gitHubUrl = "https://github.com";

    @JsonProperty public String getType() { return type; }
    @JsonProperty public void setType(String type) { this.type = type; }
    @JsonProperty public String getRegistry() { return registry; }
    @JsonProperty public void setRegistry(String registry) { this.registry = registry; }
    @JsonProperty public String getRegistryUser() { return registryUser; }
    @JsonProperty public void setRegistryUser(String registryUser) { this.registryUser = nz(registryUser); }
    @JsonProperty public String getRegistryPassword() { return registryPassword; }
    @JsonProperty public void setRegistryPassword(String registryPassword) { this.registryPassword = nz(registryPassword); }
    @JsonProperty public String getDockerBinary() { return dockerBinary; }
    @JsonProperty public void setDockerBinary(String dockerBinary) { this.dockerBinary = dockerBinary; }
    @JsonProperty public String getBuildctlBinary() { return buildctlBinary; }
    @JsonProperty public void setBuildctlBinary(String buildctlBinary) { this.buildctlBinary = buildctlBinary; }
    @JsonProperty public String getBuildkitAddr() { return buildkitAddr; }
    @JsonProperty public void setBuildkitAddr(String buildkitAddr) { this.buildkitAddr = buildkitAddr; }
    @JsonProperty public String getBuildkitCaCert() { return buildkitCaCert; }
    @JsonProperty public void setBuildkitCaCert(String v) { this.buildkitCaCert = nz(v); }
    @JsonProperty public String getBuildkitCert() { return buildkitCert; }
    @JsonProperty public void setBuildkitCert(String v) { this.buildkitCert = nz(v); }
    @JsonProperty public String getBuildkitKey() { return buildkitKey; }
    @JsonProperty public void setBuildkitKey(String v) { this.buildkitKey = nz(v); }
    @JsonProperty public String getRailpackBinary() { return railpackBinary; }
    @JsonProperty public void setRailpackBinary(String railpackBinary) { this.railpackBinary = railpackBinary; }
    @JsonProperty public String getRailpackFrontend() { return railpackFrontend; }
    @JsonProperty public void setRailpackFrontend(String railpackFrontend) { this.railpackFrontend = railpackFrontend; }
    @JsonProperty public String getWorkDir() { return workDir; }
    @JsonProperty public void setWorkDir(String workDir) {
        this.workDir = workDir == null || workDir.isBlank() ? DEFAULT_WORK_DIR : workDir;
    }
    @JsonProperty public Duration getWorkDirSweepInterval() { return workDirSweepInterval; }
    @JsonProperty public void setWorkDirSweepInterval(Duration v) { this.workDirSweepInterval = v; }
    @JsonProperty public long getCheckoutMaxBytes() { return checkoutMaxBytes; }
    @JsonProperty public void setCheckoutMaxBytes(long v) { this.checkoutMaxBytes = v; }
    @JsonProperty public long getCheckoutMaxFiles() { return checkoutMaxFiles; }
    @JsonProperty public void setCheckoutMaxFiles(long v) { this.checkoutMaxFiles = v; }

    public CheckoutGuard.Limits checkoutLimits() {
        return new CheckoutGuard.Limits(checkoutMaxBytes, checkoutMaxFiles);
    }
    @JsonProperty public int getPushRetries() { return pushRetries; }
    @JsonProperty public void setPushRetries(int v) { this.pushRetries = v; }
    @JsonProperty public Duration getPushRetryDelay() { return pushRetryDelay; }
    @JsonProperty public void setPushRetryDelay(Duration v) { this.pushRetryDelay = v; }

    public PushRetry pushRetry() {
        return new PushRetry(pushRetries, pushRetryDelay.toJavaDuration());
    }
    @JsonProperty public Duration getCloneTimeout() { return cloneTimeout; }
    @JsonProperty public void setCloneTimeout(Duration cloneTimeout) { this.cloneTimeout = cloneTimeout; }
    @JsonProperty public long getLogCapBytes() { return logCapBytes; }
    @JsonProperty public void setLogCapBytes(long logCapBytes) { this.logCapBytes = logCapBytes; }
    @JsonProperty public String getGitHubUrl() { return gitHubUrl; }
    @JsonProperty public void setGitHubUrl(String gitHubUrl) { this.gitHubUrl = gitHubUrl; }

    /** Registry credentials; registry.fly.io takes user {@code x} and the FLY_API_TOKEN. */
    public RegistryAuth registryAuth() {
        String user = registryUser.isEmpty() && registry.startsWith("registry.fly.io") ? "x" : registryUser;
        return new RegistryAuth(registry, user, registryPassword);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
