package com.vangoframework.rhone.db;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.db.DataSourceFactory;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * Where the database is. An empty {@code url} means "run the embedded PostgreSQL under the
 * data directory"; otherwise {@code url} is a JDBC URL or a {@code postgres://user:pass@host/db} URL.
 */
public class DatabaseConfiguration {

    private String url = "";
    private String user = "";
    private String password = "";
    private boolean migrateOnStart = true;

    @Min(2)
    @Max(200)
    private int maxPoolSize = 16;

    @JsonProperty
    public String getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(String url) {
        this.url = url == null ? "" : url.trim();
    }

    @JsonProperty
    public String getUser() {
        return user;
    }

    @JsonProperty
    public void setUser(String user) {
        this.user = user == null ? "" : user;
    }

    @JsonProperty
    public String getPassword() {
        return password;
    }

    @JsonProperty
    public void setPassword(String password) {
        this.password = password == null ? "" : password;
    }

    @JsonProperty
    public boolean isMigrateOnStart() {
        return migrateOnStart;
    }

    @JsonProperty
    public void setMigrateOnStart(boolean migrateOnStart) {
        this.migrateOnStart = migrateOnStart;
    }

    @JsonProperty
    public int getMaxPoolSize() {
        return maxPoolSize;
    }

    @JsonProperty
    public void setMaxPoolSize(int maxPoolSize) {
        this.maxPoolSize = maxPoolSize;
    }

    /** The embedded PostgreSQL's port; 0: the one kept in the data directory, or a free one chosen once. */
    @Min(0)
    @Max(65535)
    private int embeddedPort;

    @JsonProperty
    public int getEmbeddedPort() {
        return embeddedPort;
    }

    @JsonProperty
    public void setEmbeddedPort(int embeddedPort) {
        this.embeddedPort = embeddedPort;
    }

    public boolean isEmbedded() {
        return url.isEmpty();
    }

    /** The pool settings for one resolved target. */
    public DataSourceFactory dataSourceFactory(DatabaseTarget target) {
        DataSourceFactory factory = new DataSourceFactory();
        factory.setDriverClass("org.postgresql.Driver");
        factory.setUrl(target.jdbcUrl());
        factory.setUser(target.user());
        factory.setPassword(target.password());
        factory.setMinSize(2);
        factory.setInitialSize(2);
        factory.setMaxSize(maxPoolSize);
        factory.setValidationQuery("/* rhone health */ SELECT 1");
        factory.setCheckConnectionOnBorrow(true);
        return factory;
    }
}
