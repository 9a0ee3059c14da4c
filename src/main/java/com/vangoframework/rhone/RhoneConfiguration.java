package com.vangoframework.rhone;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.vangoframework.rhone.cli.CommandConfiguration;
import com.vangoframework.rhone.db.DatabaseConfiguration;
import com.vangoframework.rhone.db.JdbiSetup;
import com.vangoframework.rhone.deployments.BuildsConfiguration;
import com.vangoframework.rhone.github.GitHubConfiguration;
import com.vangoframework.rhone.pipeline.BuilderConfiguration;
import io.dropwizard.core.Configuration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.List;

public class RhoneConfiguration extends Configuration implements CommandConfiguration {

    /** Where the embedded database and generated keys live; created when missing. */
    @NotEmpty
    private String dataDir = "var";

    /** Base64 of 32 random bytes (AES-256 key for app env vars); empty means generate one (embedded mode only). */
    private String secretKey = "";

    @Valid
    @NotNull
    private DatabaseConfiguration database = new DatabaseConfiguration();

    @Valid
    @NotNull
    private BuildsConfiguration builds = new BuildsConfiguration();

    @Valid
    @NotNull
    private BuilderConfiguration builder = new BuilderConfiguration();

    @Valid
    @NotNull
    private GitHubConfiguration github = new GitHubConfiguration();

    @Valid
    @NotNull
    private com.vangoframework.rhone.web.DashboardConfiguration dashboard =
            new com.vangoframework.rhone.web.DashboardConfiguration();

    @JsonProperty
    public com.vangoframework.rhone.web.DashboardConfiguration getDashboard() {
        return dashboard;
    }

    @JsonProperty
    public void setDashboard(com.vangoframework.rhone.web.DashboardConfiguration dashboard) {
        this.dashboard = dashboard;
    }

    @JsonProperty
    public String getDataDir() {
        return dataDir;
    }

    @JsonProperty
    public void setDataDir(String dataDir) {
        this.dataDir = dataDir;
    }

    @JsonProperty
    public String getSecretKey() {
        return secretKey;
    }

    @JsonProperty
    public void setSecretKey(String secretKey) {
        this.secretKey = secretKey == null ? "" : secretKey.trim();
    }

    @JsonProperty
    public DatabaseConfiguration getDatabase() {
        return database;
    }

    @JsonProperty
    public void setDatabase(DatabaseConfiguration database) {
        this.database = database;
    }

    @JsonProperty
    public GitHubConfiguration getGithub() {
        return github;
    }

    @JsonProperty
    public void setGithub(GitHubConfiguration github) {
        this.github = github;
    }

    @JsonProperty
    public BuilderConfiguration getBuilder() {
        return builder;
    }

    @JsonProperty
    public void setBuilder(BuilderConfiguration builder) {
        this.builder = builder;
    }

    @Override
    public String publicUrl() {
        return github.getPublicUrl();
    }

    @Override
    public JdbiSetup jdbiSetup() {
        return RhoneApplication.JDBI;
    }

    /**
     * Resolves every configured file and directory against {@code base} (the directory the process
     * started in). Program names without a '/' stay as they are: they are looked up on PATH.
     */
    public void makePathsAbsolute(Path base) {
        dataDir = absolute(base, dataDir);
        builder.setWorkDir(absolute(base, builder.getWorkDir()));
        builder.setBuildkitCaCert(absolute(base, builder.getBuildkitCaCert()));
        builder.setBuildkitCert(absolute(base, builder.getBuildkitCert()));
        builder.setBuildkitKey(absolute(base, builder.getBuildkitKey()));
        builder.setDockerBinary(program(base, builder.getDockerBinary()));
        builder.setBuildctlBinary(program(base, builder.getBuildctlBinary()));
        builder.setRailpackBinary(program(base, builder.getRailpackBinary()));
        github.setPrivateKeyFile(absolute(base, github.getPrivateKeyFile()));
    }

    private static String absolute(Path base, String path) {
        return path == null || path.isEmpty() ? path : base.resolve(path).normalize().toString();
    }

    private static String program(Path base, String program) {
        return program == null || !program.contains("/") ? program : absolute(base, program);
    }

    @JsonProperty
    public BuildsConfiguration getBuilds() {
        return builds;
    }

    @JsonProperty
    public void setBuilds(BuildsConfiguration builds) {
        this.builds = builds;
    }
}
