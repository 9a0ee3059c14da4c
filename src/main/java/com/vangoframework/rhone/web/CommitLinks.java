package com.vangoframework.rhone.web;

import com.vangoframework.rhone.apps.App;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a commit of an app can be seen in a browser. A GitHub app's commits are on the configured
 * GitHub; a plain git URL gets a link only when its host names a forge whose URL shape is known
 * (GitHub, GitLab, Gitea, Forgejo, Codeberg); anything else shows the SHA alone, and a
 * {@code file://} repository never gets a link. User names and passwords in a URL never reach the
 * link.
 */
public final class CommitLinks {

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");
    /** {@code git@host:owner/name.git}, the scp-like form git accepts for SSH. */
    private static final Pattern SCP_LIKE = Pattern.compile("^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!/)(.+)$");
    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?");
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._~-]+){2,}");

    private final String gitHubUrl;

    public CommitLinks(String gitHubUrl) {
        this.gitHubUrl = gitHubUrl.endsWith("/") ? gitHubUrl.substring(0, gitHubUrl.length() - 1) : gitHubUrl;
    }

    /** The placeholder {@link #template} leaves for the SHA. */
    public static final String SHA_PLACEHOLDER = "{sha}";

    /** The commit's page, or empty when no page is known for this app's host. */
    public Optional<String> commit(App app, String sha) {
        if (sha == null || !SHA.matcher(sha).matches()) {
            return Optional.empty();
        }
        return template(app).map(t -> t.replace(SHA_PLACEHOLDER, sha));
    }

    /** The app's commit URL with {@code {sha}} for the SHA (a page fills it in once the clone knows it). */
    public Optional<String> template(App app) {
        if (app.isGitHub()) {
            return Optional.of(gitHubUrl + "/" + app.githubRepo() + "/commit/" + SHA_PLACEHOLDER);
        }
        return webBase(app.gitUrl()).flatMap(base -> shape(base.host()).map(shape -> base.url() + shape
                + SHA_PLACEHOLDER));
    }

    /** The repository's web page, when the git URL is one a browser can open. */
    public Optional<String> repository(App app) {
        if (app.isGitHub()) {
            return Optional.of(gitHubUrl + "/" + app.githubRepo());
        }
        return webBase(app.gitUrl()).filter(base -> shape(base.host()).isPresent()).map(Base::url);
    }

    private record Base(String host, String url) {
    }

    /** The path a forge puts before a SHA, by what its host name says it is. */
    private static Optional<String> shape(String host) {
        if (host.contains("github")) {
            return Optional.of("/commit/");
        }
        if (host.contains("gitlab")) {
            return Optional.of("/-/commit/");
        }
        if (host.contains("gitea") || host.contains("forgejo") || host.contains("codeberg")) {
            return Optional.of("/commit/");
        }
        return Optional.empty();
    }

    /** https://host[:port]/owner/name (no credentials, no .git) from an http(s), ssh or scp-like git URL. */
    private static Optional<Base> webBase(String gitUrl) {
        if (gitUrl == null) {
            return Optional.empty();
        }
        String scheme;
        String host;
        int port = -1;
        String path;
        Matcher scp = SCP_LIKE.matcher(gitUrl);
        if (scp.matches()) {
            scheme = "https";
            host = scp.group(1);
            path = "/" + scp.group(2);
        } else {
            URI uri;
            try {
                uri = URI.create(gitUrl);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            String given = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            switch (given) {
                case "https", "http" -> {
                    scheme = given;
                    port = uri.getPort();
                }
                case "ssh", "git" -> scheme = "https"; // the forge's web pages are on https
                default -> {
                    return Optional.empty(); // file:// and anything unknown
                }
            }
            host = uri.getHost();
            path = uri.getPath();
        }
        if (host == null || path == null) {
            return Optional.empty();
        }
        host = host.toLowerCase(Locale.ROOT);
        path = path.replaceAll("/+$", "").replaceAll("\\.git$", "");
        if (!HOST.matcher(host).matches() || !PATH.matcher(path).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Base(host, scheme + "://" + host + (port > 0 ? ":" + port : "") + path));
    }
}
