package com.vangoframework.rhone.github;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kohsuke.github.connector.GitHubConnector;
import org.kohsuke.github.connector.GitHubConnectorRequest;
import org.kohsuke.github.connector.GitHubConnectorResponse;

/**
 * github-api's requests over the JDK client with a deadline on each: its own HttpClient connector
 * sets none, so a GitHub that accepts the connection and never answers would hold the caller
 * (for sign-in, a person at the browser) for ever.
 */
final class DeadlineConnector implements GitHubConnector {

    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private final HttpClient http;
    private final Duration deadline;

    DeadlineConnector(HttpClient http, Duration deadline) {
        this.http = http;
        this.deadline = deadline;
    }

    @Override
    public GitHubConnectorResponse send(GitHubConnectorRequest request) throws IOException {
        HttpRequest.Builder builder;
        try {
            builder = HttpRequest.newBuilder(request.url().toURI()).timeout(deadline);
        } catch (URISyntaxException e) {
            throw new IOException("not a valid GitHub API address: " + e.getMessage(), e);
        }
        request.allHeaders().forEach((name, values) -> {
            if (name != null && !RESTRICTED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                values.forEach(value -> builder.header(name, value));
            }
        });
        builder.method(request.method(), request.hasBody()
                ? HttpRequest.BodyPublishers.ofByteArray(request.body().readAllBytes())
                : HttpRequest.BodyPublishers.noBody());
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for GitHub");
        }
        Map<String, List<String>> headers = answer.headers().map();
        byte[] body = answer.body();
        return new GitHubConnectorResponse.ByteArrayResponse(request, answer.statusCode(), headers) {
            @Override
            protected InputStream rawBodyStream() {
                return new ByteArrayInputStream(body);
            }
        };
    }
}
