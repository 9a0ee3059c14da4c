package com.vangoframework.rhone.pipeline;

import com.codahale.metrics.health.HealthCheck;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Whether the image registry answers its API ({@code GET /v2/}): 200, or 401 when it wants
 * credentials (the push logs in), is reachable. Loopback registries speak plain HTTP, as Docker
 * assumes for them; every other registry HTTPS ({@link RegistryAddress}).
 */
public final class RegistryHealthCheck extends HealthCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final String registry;
    private final URI probe;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public RegistryHealthCheck(String registry) {
        this.registry = registry;
        // The API's root, whatever repository path the configured name carries.
        this.probe = URI.create(RegistryAddress.of(registry).baseUrl() + "/v2/");
    }

    @Override
    protected Result check() throws InterruptedException {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(probe).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 200 || r.statusCode() == 401) {
                return Result.healthy("registry " + registry + " answers (HTTP " + r.statusCode() + ")");
            }
            return Result.unhealthy("registry " + registry + " answered HTTP " + r.statusCode() + " at " + probe
                    + "; builds cannot push");
        } catch (IOException e) {
            return Result.unhealthy("registry " + registry + " does not answer at " + probe + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "); builds cannot push: start it (ops/setup-local-builder) or fix RHONE_REGISTRY");
        }
    }

}
