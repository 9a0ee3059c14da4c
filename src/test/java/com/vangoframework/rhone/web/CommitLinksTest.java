package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.vangoframework.rhone.apps.App;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CommitLinksTest {

    static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    private final CommitLinks links = new CommitLinks("https://github.com");

    private static App git(String url) {
        return new App(1, 1, "web", null, null, url, "main", 600, Instant.EPOCH, "approve", false);
    }

    private String commit(String gitUrl) {
        return links.commit(git(gitUrl), SHA).orElse(null);
    }

    @Test
    void knownForges_getTheirCommitUrlShape() {
        assertThat(commit("https://github.com/acme/web.git")).isEqualTo("https://github.com/acme/web/commit/" + SHA);
        assertThat(commit("https://gitlab.com/acme/platform/web")).isEqualTo(
                "https://gitlab.com/acme/platform/web/-/commit/" + SHA);
        assertThat(commit("https://gitlab.internal.example:8443/acme/web.git/")).isEqualTo(
                "https://gitlab.internal.example:8443/acme/web/-/commit/" + SHA);
        assertThat(commit("http://gitea.lan/acme/web.git")).isEqualTo("http://gitea.lan/acme/web/commit/" + SHA);
        assertThat(commit("https://code.forgejo.example/acme/web")).isEqualTo(
                "https://code.forgejo.example/acme/web/commit/" + SHA);
        assertThat(commit("https://codeberg.org/acme/web.git")).isEqualTo("https://codeberg.org/acme/web/commit/" + SHA);
        assertThat(commit("git@github.com:acme/web.git")).isEqualTo("https://github.com/acme/web/commit/" + SHA);
        assertThat(commit("ssh://git@gitlab.com/acme/web.git")).isEqualTo("https://gitlab.com/acme/web/-/commit/" + SHA);
    }

    @Test
    void unknownHostsFileUrlsAndOddShapes_getNoLink() {
        assertThat(commit("https://git.example.com/acme/web.git")).isNull();
        assertThat(commit("file:///srv/git/github/acme/web")).isNull();
        assertThat(commit("file://github.com/acme/web")).isNull();
        assertThat(commit("https://github.com/web.git")).as("one path segment").isNull();
        assertThat(commit("javascript:alert(1)//github.com/a/b")).isNull();
        assertThat(links.commit(git("https://github.com/acme/web.git"), "not-a-sha")).isEmpty();
        assertThat(links.commit(git("https://github.com/acme/web.git"), null)).isEmpty();
    }

    @Test
    void userInfoInTheGitUrl_neverReachesTheLink() {
        assertThat(commit("https://deploy-bot@github.com/acme/web.git")).isEqualTo(
                "https://github.com/acme/web/commit/" + SHA);
        assertThat(commit("https://bot:s3cret@github.com/acme/web.git")).isEqualTo(
                "https://github.com/acme/web/commit/" + SHA).doesNotContain("s3cret");
    }

    @Test
    void gitHubApps_linkToTheConfiguredGitHub() {
        App app = new App(1, 1, "web", "acme/web", 42L, null, "main", 600, Instant.EPOCH, "approve", false);
        assertThat(new CommitLinks("http://127.0.0.1:9/").commit(app, SHA))
                .hasValue("http://127.0.0.1:9/acme/web/commit/" + SHA);
        assertThat(links.repository(app)).hasValue("https://github.com/acme/web");
        assertThat(links.repository(git("https://git.example.com/acme/web.git"))).isEmpty();
    }
}
