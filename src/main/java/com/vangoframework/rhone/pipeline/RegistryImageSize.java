package com.vangoframework.rhone.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
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

    /** One measurement's requests, all within one deadline, on a repository's pull scope. */
    private final class Session {
        private final ImageName name;
        private final RegistrySession registry;

        Session(ImageName name, RegistryAuth auth) {
            this.name = name;
            this.registry = new RegistrySession(http, name.registry(), auth, timeout,
                    "repository:" + name.repository() + ":pull");
        }

        JsonNode manifest(String digest) throws IOException, InterruptedException {
            String path = "/v2/" + name.repository() + "/manifests/" + digest;
            HttpResponse<byte[]> response = registry.get(path, ACCEPT);
            if (response.statusCode() != 200) {
                throw new IOException("the registry answered " + response.statusCode() + " for " + path);
            }
            return json.readTree(response.body());
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
