package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A few GET requests to one registry's API with its credentials, all within one deadline: a
 * registry that answers its headers and then stalls cannot hold the caller. A 401 is answered once
 * with what its challenge asks for (Basic auth, or a token from the realm it names), then the
 * request is sent again. Credentials go to the registry's own scheme, host and port only: a token
 * service elsewhere is asked without them, and only over TLS. Used for an image's size after its
 * push ({@link RegistryImageSize}) and for the health check's {@code GET /v2/}.
 */
final class RegistrySession {

    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final RegistryAddress registry;
    private final RegistryAuth auth;
    private final Duration timeout;
    private final String defaultScope;
    private final long deadline;
    private String authorization;

    /**
     * @param http a client that never follows redirects (credentials must not travel on)
     * @param defaultScope the token scope asked for when a challenge names none; null: none asked
     */
    RegistrySession(HttpClient http, RegistryAddress registry, RegistryAuth auth, Duration timeout,
                    String defaultScope) {
        this.http = http;
        this.registry = registry;
        this.auth = auth;
        this.timeout = timeout;
        this.defaultScope = defaultScope;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    /** Whether an answer to a 401 was sent (credentials, or a token got with or without them). */
    boolean authorized() {
        return authorization != null;
    }

    /** {@code GET <registry><path>}, authorised once when the registry asks for it. */
    HttpResponse<byte[]> get(String path, String accept) throws IOException, InterruptedException {
        URI uri = URI.create(registry.baseUrl() + path);
        HttpResponse<byte[]> response = send(uri, accept);
        if (response.statusCode() == 401 && authorization == null) {
            authorization = authorize(response.headers().firstValue("WWW-Authenticate").orElse(""));
            if (authorization != null) {
                response = send(uri, accept);
            }
        }
        return response;
    }

    private HttpResponse<byte[]> send(URI uri, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", accept);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return send(request.GET().build());
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IOException("out of time (" + timeout.toSeconds() + " s) before " + request.uri());
        }
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> answer =
                http.sendAsync(request, info -> new RegistryImageSize.BoundedBody(RegistryImageSize.MAX_BODY_BYTES));
        try {
            return answer.get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            answer.cancel(true); // closes the exchange
            throw new IOException("the registry did not answer within " + timeout.toSeconds() + " s", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** The Authorization header a challenge asks for, or null when there is nothing to offer. */
    private String authorize(String challenge) throws IOException, InterruptedException {
        String basic = auth.isEmpty() ? null : "Basic " + Base64.getEncoder().encodeToString(
                (auth.user() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8));
        if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            return basic;
        }
        if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        URI realm;
        try {
            realm = new URI(params.getOrDefault("realm", ""));
        } catch (java.net.URISyntaxException e) {
            return null;
        }
        // The registry's credentials go to the registry itself only: a token service on another
        // host (named by whoever answered) is asked without them, over TLS only.
        boolean own = registry.isOrigin(realm);
        boolean tls = "https".equalsIgnoreCase(realm.getScheme()) && realm.getHost() != null
                && realm.getRawUserInfo() == null;
        if (!own && !tls) {
            return null;
        }
        StringBuilder url = new StringBuilder(realm.toString());
        char separator = realm.getRawQuery() != null ? '&' : '?';
        String scope = params.getOrDefault("scope", defaultScope);
        if (scope != null) {
            url.append(separator).append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
            separator = '&';
        }
        if (params.containsKey("service")) {
            url.append(separator).append("service=")
                    .append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url.toString()));
        if (basic != null && own) {
            request.header("Authorization", basic);
        }
        HttpResponse<byte[]> response = send(request.GET().build());
        if (response.statusCode() != 200) {
            return null;
        }
        JsonNode body = JSON.readTree(response.body());
        String token = body.path("token").asText(body.path("access_token").asText(""));
        return token.isEmpty() ? null : "Bearer " + token;
    }
}
