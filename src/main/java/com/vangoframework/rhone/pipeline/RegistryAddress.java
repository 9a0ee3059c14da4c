package com.vangoframework.rhone.pipeline;

import java.net.URI;
import java.util.Locale;

/**
 * Where a registry is, from its configured name ({@code host[:port][/path]}, e.g.
 * {@code 127.0.0.1:5000} or {@code registry.fly.io/rhone-images}). Like Docker, it speaks plain
 * HTTP to a registry on the loopback interface only, HTTPS to every other.
 */
record RegistryAddress(String host, int port, boolean loopback) {

    static RegistryAddress of(String registry) {
        String authority = registry.split("/", 2)[0];
        URI uri = URI.create("scheme://" + authority);
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("not a registry address: " + registry);
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        boolean loopback = host.equals("localhost") || host.equals("[::1]")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
        return new RegistryAddress(host, uri.getPort() > 0 ? uri.getPort() : loopback ? 80 : 443, loopback);
    }

    String scheme() {
        return loopback ? "http" : "https";
    }

    /** {@code scheme://host:port}: the registry API lives under {@code /v2/} there, whatever path the name has. */
    String baseUrl() {
        return scheme() + "://" + host + (port == (loopback ? 80 : 443) ? "" : ":" + port);
    }

    /** Whether {@code uri} is this registry itself: same scheme, host and port, and no user part. */
    boolean isOrigin(URI uri) {
        if (uri.getScheme() == null || uri.getHost() == null || uri.getRawUserInfo() != null) {
            return false;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme.equals(scheme()) && uri.getHost().toLowerCase(Locale.ROOT).equals(host) && port == this.port;
    }
}
