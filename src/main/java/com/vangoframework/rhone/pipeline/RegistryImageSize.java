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
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The size of a pushed image as its registry stores it: the config and the layers of its
 * manifest (compressed), which is what {@code docker pull} downloads. Best-effort: any answer the
 * registry does not give (unreachable, refused, an unknown manifest type) is "unknown", never a
 * failure. Manifests are asked for with the Docker v2 and OCI {@code Accept} types (without them
 * a registry answers with the old schema 1); an index (several platforms, or BuildKit's
 * attestations) is measured by its first real platform's manifest. Credentials are the builder's
 * registry credentials, as Basic auth or exchanged for a token when the registry asks for one;
 * they are only ever sent to the registry's own scheme, host and port.
 */
public final class RegistryImageSize {

    static final String ACCEPT = String.join(", ",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.index.v1+json");
    /** A manifest is a few KiB; an answer larger than this is not one. */
    static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Logger LOG = LoggerFactory.getLogger(RegistryImageSize.class);

    private final RegistryAuth auth;
    private final HttpClient http;
    private final Duration timeout;
    private final ObjectMapper json = new ObjectMapper();

    public RegistryImageSize(RegistryAuth auth, Duration timeout) {
        this.auth = auth;
        this.timeout = timeout;
        // Never follows redirects: credentials go to the registry (and its token realm) only.
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The image's size in bytes, or empty when the registry could not tell. */
    public OptionalLong measure(String imageTag, String digest) {
        return measure(imageTag, digest, auth);
    }

    /** As {@link #measure(String, String)}, with the credentials the build pushed with (an app's own). */
    public OptionalLong measure(String imageTag, String digest, RegistryAuth auth) {
        if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
            return OptionalLong.empty();
        }
        try {
            ImageName name = ImageName.parse(imageTag);
            Session session = new Session(name, auth);
            JsonNode manifest = session.manifest(digest);
            if (manifest.has("manifests")) {
                Optional<String> platform = platformManifest(manifest);
                if (platform.isEmpty()) {
                    return OptionalLong.empty();
                }
                manifest = session.manifest(platform.get());
            }
            return sizeOf(manifest);
        } catch (IOException | RuntimeException e) {
            LOG.info("Could not measure the image {}@{}; its size stays unknown", imageTag, digest, e);
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /** config + layers; empty when a size is missing (a foreign or broken manifest). */
    static OptionalLong sizeOf(JsonNode manifest) {
        JsonNode config = manifest.path("config").path("size");
        JsonNode layers = manifest.path("layers");
        if (!config.canConvertToLong() || config.asLong() < 0 || !layers.isArray()) {
            return OptionalLong.empty();
        }
        long total = config.asLong();
        for (JsonNode layer : layers) {
            JsonNode size = layer.path("size");
            if (!size.canConvertToLong() || size.asLong() < 0) {
                return OptionalLong.empty();
            }
            try {
                total = Math.addExact(total, size.asLong()); // the registry's numbers, not ours
            } catch (ArithmeticException overflow) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.of(total);
    }

    /** The first entry of an index that is an image for a real platform (attestations say unknown/unknown). */
    static Optional<String> platformManifest(JsonNode index) {
        for (JsonNode entry : index.path("manifests")) {
            String os = entry.path("platform").path("os").asText("");
            String digest = entry.path("digest").asText("");
            if (!"unknown".equals(os) && digest.matches("sha256:[0-9a-f]{64}")) {
                return Optional.of(digest);
            }
        }
        return Optional.empty();
    }

    /** {@code host[:port]/path[:tag]}: where the registry is and the repository's name on it. */
    record ImageName(RegistryAddress registry, String repository) {
        static ImageName parse(String ref) {
            int slash = ref.indexOf('/');
            if (slash <= 0) {
                throw new IllegalArgumentException("not a registry image reference: " + ref);
            }
            String host = ref.substring(0, slash);
            String path = ref.substring(slash + 1);
            int at = path.indexOf('@');
            if (at >= 0) {
                path = path.substring(0, at);
            }
            int colon = path.lastIndexOf(':');
            if (colon > path.lastIndexOf('/')) {
                path = path.substring(0, colon);
            }
            // The distribution spec's grammar: '-' may repeat ("web--pr", a slug ending in '-' plus "-pr").
            if (!path.matches("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")) {
                throw new IllegalArgumentException("not a repository name: " + path);
            }
            return new ImageName(RegistryAddress.of(host), path);
        }
    }

    /**
     * One measurement's requests, with the token once the registry gave one, all within one
     * deadline: a registry that answers its headers and then stalls cannot hold the build.
     */
    private final class Session {
        private final ImageName name;
        private final long deadline = System.nanoTime() + timeout.toNanos();
        private final RegistryAuth auth;
        private String authorization;

        Session(ImageName name, RegistryAuth auth) {
            this.name = name;
            this.auth = auth;
        }

        JsonNode manifest(String digest) throws IOException, InterruptedException {
            URI uri = URI.create(name.registry().baseUrl() + "/v2/" + name.repository() + "/manifests/" + digest);
            HttpResponse<byte[]> response = get(uri, ACCEPT);
            if (response.statusCode() == 401 && authorization == null) {
                authorization = authorize(response.headers().firstValue("WWW-Authenticate").orElse(""));
                if (authorization != null) {
                    response = get(uri, ACCEPT);
                }
            }
            if (response.statusCode() != 200) {
                throw new IOException("the registry answered " + response.statusCode() + " for " + uri);
            }
            return json.readTree(response.body());
        }

        private HttpResponse<byte[]> get(URI uri, String accept) throws IOException, InterruptedException {
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
                    http.sendAsync(request, info -> new BoundedBody(MAX_BODY_BYTES));
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
            boolean own = name.registry().isOrigin(realm);
            boolean tls = "https".equalsIgnoreCase(realm.getScheme()) && realm.getHost() != null
                    && realm.getRawUserInfo() == null;
            if (!own && !tls) {
                return null;
            }
            StringBuilder url = new StringBuilder(realm.toString()).append(realm.getRawQuery() != null ? '&' : '?');
            url.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope",
                    "repository:" + name.repository() + ":pull"), StandardCharsets.UTF_8));
            if (params.containsKey("service")) {
                url.append("&service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url.toString()));
            if (basic != null && own) {
                request.header("Authorization", basic);
            }
            HttpResponse<byte[]> response = send(request.GET().build());
            if (response.statusCode() != 200) {
                return null;
            }
            JsonNode body = json.readTree(response.body());
            String token = body.path("token").asText(body.path("access_token").asText(""));
            return token.isEmpty() ? null : "Bearer " + token;
        }
    }

    /** A body read into memory up to {@code limit} bytes; past it the exchange is cancelled. */
    static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final HttpResponse.BodySubscriber<byte[]> bytes = HttpResponse.BodySubscribers.ofByteArray();
        private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
        private final long limit;
        private java.util.concurrent.Flow.Subscription subscription;
        private long seen;

        BoundedBody(long limit) {
            this.limit = limit;
            bytes.getBody().whenComplete((body, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(body);
                }
            });
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            bytes.onSubscribe(s);
        }

        @Override
        public void onNext(java.util.List<java.nio.ByteBuffer> items) {
            for (java.nio.ByteBuffer b : items) {
                seen += b.remaining();
            }
            if (seen > limit) {
                subscription.cancel();
                result.completeExceptionally(new IOException("the registry's answer is larger than " + limit + " bytes"));
                return;
            }
            bytes.onNext(items);
        }

        @Override
        public void onError(Throwable t) {
            bytes.onError(t);
        }

        @Override
        public void onComplete() {
            bytes.onComplete();
        }
    }
}
