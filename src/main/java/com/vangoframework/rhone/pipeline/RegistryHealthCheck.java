package com.vangoframework.rhone.pipeline;

import com.codahale.metrics.health.HealthCheck;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Whether the image registry answers its API ({@code GET /v2/}) with the builder's global
 * credentials ({@code RHONE_REGISTRY_USER} / {@code FLY_API_TOKEN}), as Basic auth or exchanged
 * for a token ({@link RegistrySession}, the same exchange the image-size measurement makes). 200
 * is healthy; 401 is healthy when no credentials are configured (the registry is up, and apps
 * bring their own), unhealthy when the configured ones were refused. Loopback registries speak
 * plain HTTP, as Docker assumes for them; every other registry HTTPS ({@link RegistryAddress}).
 *
 * <p>A result is kept for {@code cacheFor}: {@code /healthcheck} polled every second (a load
 * balancer, Fly's checks) asks the registry once per period, and concurrent polls wait for the
 * one probe in flight. No message carries a credential: only the registry's name, its API URL
 * and status, and the names of the settings.
 */
public final class RegistryHealthCheck extends HealthCheck {

    static final Duration TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_CACHE = Duration.ofSeconds(10);

    private final RegistryAuth auth;
    private final RegistryAddress address;
    private final String probe;
    private final Duration cacheFor;
    private final LongSupplier nanoTime;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private Result cached; // guarded by this
    private long cachedAt; // guarded by this

    public RegistryHealthCheck(RegistryAuth auth) {
        this(auth, DEFAULT_CACHE, System::nanoTime);
    }

    /** {@code nanoTime} stands in for the monotonic clock (tests move it on instead of waiting). */
    RegistryHealthCheck(RegistryAuth auth, Duration cacheFor, LongSupplier nanoTime) {
        this.auth = auth;
        this.address = RegistryAddress.of(auth.registry());
        // The API's root, whatever repository path the configured name carries.
        this.probe = address.baseUrl() + "/v2/";
        this.cacheFor = cacheFor;
        this.nanoTime = nanoTime;
    }

    @Override
    protected synchronized Result check() throws InterruptedException {
        long now = nanoTime.getAsLong();
        if (cached == null || now - cachedAt >= cacheFor.toNanos()) {
            cached = probe();
            cachedAt = now;
        }
        return cached;
    }

    private Result probe() throws InterruptedException {
        String registry = auth.registry();
        try {
            RegistrySession session = new RegistrySession(http, address, auth, TIMEOUT, null);
            HttpResponse<byte[]> r = session.get("/v2/", "application/json");
            int status = r.statusCode();
            if (status == 200) {
                return Result.healthy("registry " + registry + " answers (HTTP 200"
                        + (session.authorized() ? ", with the configured credentials)" : ")"));
            }
            if (status == 401 && auth.isEmpty()) {
                return Result.healthy("registry " + registry + " answers (HTTP 401: it wants credentials, and none "
                        + "are configured; apps push with their own)");
            }
            if (status == 401) {
                return Result.unhealthy("registry " + registry + " refused the configured credentials (HTTP 401 at "
                        + probe + (session.authorized() ? "" : ", after a challenge rhone could not answer")
                        + "); builds without their own cannot push: check RHONE_REGISTRY_USER and FLY_API_TOKEN");
            }
            return Result.unhealthy("registry " + registry + " answered HTTP " + status + " at " + probe
                    + "; builds cannot push");
        } catch (IOException e) {
            return Result.unhealthy("registry " + registry + " does not answer at " + probe + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "); builds cannot push: start it (ops/setup-local-builder) or fix RHONE_REGISTRY");
        }
    }
}
