package com.vangoframework.rhone.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
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
 * registry credentials, as Basic auth or exchanged for a token when the registry asks for one.
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
        if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
            return OptionalLong.empty();
        }
        try {
            ImageName name = ImageName.parse(imageTag);
            Session session = new Session(name);
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
        if (!config.canConvertToLong() || !layers.isArray()) {
            return OptionalLong.empty();
        }
        long total = config.asLong();
        for (JsonNode layer : layers) {
            JsonNode size = layer.path("size");
            if (!size.canConvertToLong() || size.asLong() < 0) {
                return OptionalLong.empty();
            }
            total += size.asLong();
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
    record ImageName(String host, String repository) {
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
            if (!path.matches("[a-z0-9]+(?:[._/-][a-z0-9]+)*")) {
                throw new IllegalArgumentException("not a repository name: " + path);
            }
            return new ImageName(host, path);
        }

        /** Docker talks plain HTTP to a registry on the loopback interface only; so does this. */
        String baseUrl() {
            String bare = host.replaceFirst(":\\d+$", "");
            boolean loopback = bare.equals("localhost") || bare.startsWith("127.") || bare.equals("[::1]");
            return (loopback ? "http://" : "https://") + host;
        }
    }

    /** One measurement's requests, with the token once the registry gave one. */
    private final class Session {
        private final ImageName name;
        private String authorization;

        Session(ImageName name) {
            this.name = name;
        }

        JsonNode manifest(String digest) throws IOException, InterruptedException {
            URI uri = URI.create(name.baseUrl() + "/v2/" + name.repository() + "/manifests/" + digest);
            HttpResponse<InputStream> response = get(uri, ACCEPT);
            if (response.statusCode() == 401 && authorization == null) {
                response.body().close();
                authorization = authorize(response.headers().firstValue("WWW-Authenticate").orElse(""));
                if (authorization != null) {
                    response = get(uri, ACCEPT);
                }
            }
            if (response.statusCode() != 200) {
                response.body().close();
                throw new IOException("the registry answered " + response.statusCode() + " for " + uri);
            }
            return json.readTree(bounded(response.body()));
        }

        private HttpResponse<InputStream> get(URI uri, String accept) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept);
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
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
            String realm = params.get("realm");
            if (realm == null || !(realm.startsWith("https://") || realm.startsWith(name.baseUrl()))) {
                return null; // credentials go over TLS only, or to the registry's own address
            }
            StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
            url.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope",
                    "repository:" + name.repository() + ":pull"), StandardCharsets.UTF_8));
            if (params.containsKey("service")) {
                url.append("&service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url.toString())).timeout(timeout);
            if (basic != null) {
                request.header("Authorization", basic);
            }
            HttpResponse<InputStream> response = http.send(request.GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                return null;
            }
            JsonNode body = json.readTree(bounded(response.body()));
            String token = body.path("token").asText(body.path("access_token").asText(""));
            return token.isEmpty() ? null : "Bearer " + token;
        }
    }

    private static byte[] bounded(InputStream body) throws IOException {
        try (body) {
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new IOException("the registry's answer is larger than " + MAX_BODY_BYTES + " bytes");
            }
            return bytes;
        }
    }
}
