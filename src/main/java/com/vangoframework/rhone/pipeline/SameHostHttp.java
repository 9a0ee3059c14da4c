package com.vangoframework.rhone.pipeline;

import java.io.IOException;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.util.Locale;
import org.eclipse.jgit.transport.HttpTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory;

/**
 * Keeps a clone's HTTP requests on the app's own git host. A git server can name other URLs: a
 * plain-HTTP ("dumb") server's {@code objects/info/http-alternates}, or a redirect. JGit would
 * fetch from them, so a hostile server could make the builder request internal addresses (the
 * admin port, a cloud metadata service). Any other scheme, host or port is refused.
 */
final class SameHostHttp implements HttpConnectionFactory {

    private final HttpConnectionFactory delegate;
    private final String scheme;
    private final String host;
    private final int port;

    private SameHostHttp(HttpConnectionFactory delegate, URI origin) {
        this.delegate = delegate;
        this.scheme = origin.getScheme().toLowerCase(Locale.ROOT);
        this.host = origin.getHost().toLowerCase(Locale.ROOT);
        this.port = port(scheme, origin.getPort());
    }

    /** Restricts {@code transport} to the host of {@code url} when it speaks HTTP; other transports are left alone. */
    /** The end of the refusal's message, by which {@link GitCheckout} recognises it under JGit's. */
    static final String REFUSAL = "rhone only fetches from the app's own git host";

    static void restrict(Transport transport, String url) {
        if (transport instanceof TransportHttp http) {
            HttpConnectionFactory current = http.getHttpConnectionFactory();
            http.setHttpConnectionFactory(new SameHostHttp(
                    current != null ? current : HttpTransport.getConnectionFactory(), URI.create(url)));
        }
    }

    @Override
    public HttpConnection create(URL url) throws IOException {
        check(url);
        return delegate.create(url);
    }

    @Override
    public HttpConnection create(URL url, Proxy proxy) throws IOException {
        check(url);
        return delegate.create(url, proxy);
    }

    private void check(URL url) throws IOException {
        String s = url.getProtocol().toLowerCase(Locale.ROOT);
        if (!s.equals(scheme) || !url.getHost().toLowerCase(Locale.ROOT).equals(host)
                || port(s, url.getPort()) != port) {
            throw new IOException("the git server pointed rhone at " + s + "://" + url.getHost()
                    + (url.getPort() < 0 ? "" : ":" + url.getPort()) + "; " + REFUSAL);
        }
    }

    private static int port(String scheme, int port) {
        return port > 0 ? port : scheme.equals("https") ? 443 : 80;
    }
}
