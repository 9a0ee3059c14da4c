package com.vangoframework.rhone.db;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the database is. An empty {@code url} means "run the embedded PostgreSQL under the
 * data directory"; otherwise {@code url} is a JDBC URL or a {@code postgres://user:pass@host/db} URL.
 *
 * <p>And how long the service's pool waits for it (issue 14): a database that stops answering
 * (paused, partitioned, overloaded) must cost a request seconds and a clear 503, never a thread
 * held until it comes back. Every wait has a bound: taking a connection from the pool, opening one
 * (TCP connect and login), each read from the server, and on the server a statement and a
 * transaction left idle. These apply to the pool only: the LISTEN connections ({@link PgListener})
 * sit idle by design, and migrations and CLI commands open their own connections.
 */
public class DatabaseConfiguration {

    private String url = "";
    private String user = "";
    private String password = "";
    private boolean migrateOnStart = true;

    @Min(2)
    @Max(200)
    private int maxPoolSize = 16;

    /** How long a request waits for a free connection of the pool. */
    @NotNull
    @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = 10, unit = TimeUnit.MINUTES)
    private Duration checkoutTimeout = Duration.seconds(5);

    /** Opening a connection: the TCP connect, and then the whole login (whole seconds for the driver). */
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    @MaxDuration(value = 10, unit = TimeUnit.MINUTES)
    private Duration connectTimeout = Duration.seconds(5);

    /**
     * The longest the pool waits for any answer from the server (the driver's socketTimeout, whole
     * seconds). Longer than {@link #statementTimeout}, so a slow statement is cancelled by the
     * server with a clear error first and this only ends a conversation with a server that stopped
     * answering (the connection is then closed).
     */
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    @MaxDuration(value = 1, unit = TimeUnit.HOURS)
    private Duration socketTimeout = Duration.seconds(20);

    /** PostgreSQL's statement_timeout for the pool's sessions; 0 leaves the server's own. */
    @NotNull
    @MaxDuration(value = 1, unit = TimeUnit.HOURS)
    private Duration statementTimeout = Duration.seconds(15);

    /** PostgreSQL's idle_in_transaction_session_timeout for the pool's sessions; 0 leaves the server's own. */
    @NotNull
    @MaxDuration(value = 1, unit = TimeUnit.DAYS)
    private Duration idleInTransactionTimeout = Duration.seconds(60);

    /** The {@code postgresql} health check's answer comes within this, whatever the database does. */
    @NotNull
    @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = 1, unit = TimeUnit.MINUTES)
    private Duration healthCheckTimeout = Duration.seconds(2);

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

    @JsonProperty
    public Duration getCheckoutTimeout() {
        return checkoutTimeout;
    }

    @JsonProperty
    public void setCheckoutTimeout(Duration checkoutTimeout) {
        this.checkoutTimeout = checkoutTimeout;
    }

    @JsonProperty
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    @JsonProperty
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    @JsonProperty
    public Duration getSocketTimeout() {
        return socketTimeout;
    }

    @JsonProperty
    public void setSocketTimeout(Duration socketTimeout) {
        this.socketTimeout = socketTimeout;
    }

    @JsonProperty
    public Duration getStatementTimeout() {
        return statementTimeout;
    }

    @JsonProperty
    public void setStatementTimeout(Duration statementTimeout) {
        this.statementTimeout = statementTimeout;
    }

    @JsonProperty
    public Duration getIdleInTransactionTimeout() {
        return idleInTransactionTimeout;
    }

    @JsonProperty
    public void setIdleInTransactionTimeout(Duration idleInTransactionTimeout) {
        this.idleInTransactionTimeout = idleInTransactionTimeout;
    }

    @JsonProperty
    public Duration getHealthCheckTimeout() {
        return healthCheckTimeout;
    }

    @JsonProperty
    public void setHealthCheckTimeout(Duration healthCheckTimeout) {
        this.healthCheckTimeout = healthCheckTimeout;
    }

    /**
     * A statement the server is still running when the socket gives up would end as a broken
     * connection instead of PostgreSQL's "canceling statement due to statement timeout".
     */
    @JsonIgnore
    @ValidationMethod(message = "socketTimeout must be longer than statementTimeout (in whole seconds), so the "
            + "server cancels a slow statement before the pool gives up on the connection")
    public boolean isSocketTimeoutPastStatementTimeout() {
        return statementTimeout == null || socketTimeout == null || statementTimeout.toMilliseconds() == 0
                || wholeSeconds(socketTimeout) * 1000L > statementTimeout.toMilliseconds();
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
        factory.setMaxWaitForConnection(checkoutTimeout);
        // Tomcat's pool takes whole seconds here (0 would mean none).
        factory.setValidationQueryTimeout(Duration.seconds(wholeSeconds(healthCheckTimeout)));
        factory.setProperties(driverProperties());
        return factory;
    }

    /**
     * The pool's PostgreSQL driver settings. A parameter of the same name in a JDBC URL's query
     * string wins over these (the driver reads the URL last).
     */
    Map<String, String> driverProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("connectTimeout", Long.toString(wholeSeconds(connectTimeout)));
        properties.put("loginTimeout", Long.toString(wholeSeconds(connectTimeout)));
        properties.put("socketTimeout", Long.toString(wholeSeconds(socketTimeout)));
        // A cancel (JDBC query timeout) opens a connection of its own: as bounded as any other.
        properties.put("cancelSignalTimeout", Long.toString(wholeSeconds(connectTimeout)));
        properties.put("tcpKeepAlive", "true");
        StringBuilder options = new StringBuilder();
        if (statementTimeout.toMilliseconds() > 0) {
            options.append("-c statement_timeout=").append(statementTimeout.toMilliseconds());
        }
        if (idleInTransactionTimeout.toMilliseconds() > 0) {
            options.append(options.isEmpty() ? "" : " ").append("-c idle_in_transaction_session_timeout=")
                    .append(idleInTransactionTimeout.toMilliseconds());
        }
        // Sent with the login: no extra round trip, and a connection never runs without them.
        if (!options.isEmpty()) {
            properties.put("options", options.toString());
        }
        return properties;
    }

    /** The driver counts these in whole seconds: a part of one counts as one. */
    static long wholeSeconds(Duration d) {
        return Math.max(1, (d.toMilliseconds() + 999) / 1000);
    }
}
