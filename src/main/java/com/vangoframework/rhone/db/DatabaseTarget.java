package com.vangoframework.rhone.db;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** A PostgreSQL server to connect to. {@link #toString()} never shows the password. */
public record DatabaseTarget(String jdbcUrl, String user, String password) {

    public DatabaseTarget {
        user = user == null ? "" : user;
        password = password == null ? "" : password;
    }

    /**
     * Accepts a JDBC URL or the {@code postgres://user:password@host:port/db} form that hosting
     * platforms hand out. Explicit user and password settings win over the URL's.
     */
    public static DatabaseTarget fromConfiguredUrl(String url, String user, String password) {
        if (url.startsWith("jdbc:postgresql:")) {
            return new DatabaseTarget(url, user, password);
        }
        if (!url.startsWith("postgres://") && !url.startsWith("postgresql://")) {
            throw new IllegalArgumentException(
                    "database.url must start with jdbc:postgresql:, postgres:// or postgresql://");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("database.url is not a valid URL", e);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("database.url has no host");
        }
        String urlUser = "";
        String urlPassword = "";
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            urlUser = decode(parts[0]);
            urlPassword = parts.length > 1 ? decode(parts[1]) : "";
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
        if (uri.getPort() > 0) {
            jdbc.append(':').append(uri.getPort());
        }
        jdbc.append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
        if (uri.getRawQuery() != null) {
            jdbc.append('?').append(uri.getRawQuery());
        }
        return new DatabaseTarget(jdbc.toString(),
                user.isEmpty() ? urlUser : user,
                password.isEmpty() ? urlPassword : password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "DatabaseTarget[" + jdbcUrl + ", user=" + user + "]";
    }

    /**
     * A connection of the caller's own, outside the pool, with bounded waits: opening (and
     * logging in) waits at most {@code connectSeconds}; reading an answer at most
     * {@code socketSeconds} (0: no bound, for a connection that sits idle by design).
     */
    public java.sql.Connection openOwn(String applicationName, int connectSeconds, int socketSeconds)
            throws java.sql.SQLException {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("connectTimeout", Integer.toString(connectSeconds));
        props.setProperty("loginTimeout", Integer.toString(connectSeconds));
        props.setProperty("socketTimeout", Integer.toString(socketSeconds));
        return java.sql.DriverManager.getConnection(jdbcUrl, props);
    }
}
