package com.vangoframework.rhone.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * Push deliveries of the size and shape GitHub sends (docs.github.com, "Webhook events and
 * payloads", push): the whole repository object with its API links, the pusher, the sender, the
 * commits and the head commit. The service reads a handful of these fields, but it receives,
 * verifies and parses all of them, so a benchmark sending only those fields would flatter it.
 * One commit's delivery comes to about 7 KB, as a real one does.
 */
final class PushPayloads {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "https://api.github.com";

    private PushPayloads() {
    }

    static String push(String repository, long installation, String branch, String after, String message) {
        String owner = repository.substring(0, repository.indexOf('/'));
        ObjectNode p = JSON.createObjectNode();
        p.put("ref", "refs/heads/" + branch).put("before", sha()).put("after", after);
        repository(p.putObject("repository"), repository, owner, branch);
        p.putObject("pusher").put("name", owner).put("email", owner + "@example.com");
        ObjectNode org = p.putObject("organization"); // an organization's repository carries it
        org.put("login", owner).put("id", 2_000_002).put("node_id", "MDEyOk9yZ2FuaXphdGlvbjEyMzQ=")
                .put("url", API + "/orgs/" + owner).put("repos_url", API + "/orgs/" + owner + "/repos")
                .put("events_url", API + "/orgs/" + owner + "/events").put("hooks_url", API + "/orgs/" + owner + "/hooks")
                .put("issues_url", API + "/orgs/" + owner + "/issues")
                .put("members_url", API + "/orgs/" + owner + "/members{/member}")
                .put("public_members_url", API + "/orgs/" + owner + "/public_members{/member}")
                .put("avatar_url", "https://avatars.githubusercontent.com/u/2000002?v=4").put("description", "");
        user(p.putObject("sender"), owner, 1_000_001);
        p.putObject("installation").put("id", installation).put("node_id", "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u");
        p.put("created", false).put("deleted", false).put("forced", false).putNull("base_ref");
        p.put("compare", "https://github.com/" + repository + "/compare/" + p.get("before").asText().substring(0, 12)
                + "..." + after.substring(0, 12));
        commit(p.putArray("commits").addObject(), repository, after, message, owner);
        commit(p.putObject("head_commit"), repository, after, message, owner);
        return p.toString();
    }

    private static void repository(ObjectNode r, String repository, String owner, String branch) {
        String name = repository.substring(repository.indexOf('/') + 1);
        String api = API + "/repos/" + repository;
        r.put("id", 123_456_789).put("node_id", "R_kgDOHxyz12").put("name", name).put("full_name", repository)
                .put("private", true);
        user(r.putObject("owner"), owner, 2_000_002);
        r.put("html_url", "https://github.com/" + repository).put("description", "The " + name + " service")
                .put("fork", false).put("url", "https://github.com/" + repository);
        String[][] links = {{"forks", "forks"}, {"keys", "keys{/key_id}"},
            {"collaborators", "collaborators{/collaborator}"}, {"teams", "teams"}, {"hooks", "hooks"},
            {"issue_events", "issues/events{/number}"}, {"events", "events"}, {"assignees", "assignees{/user}"},
            {"branches", "branches{/branch}"}, {"tags", "tags"}, {"blobs", "git/blobs{/sha}"},
            {"git_tags", "git/tags{/sha}"}, {"git_refs", "git/refs{/sha}"}, {"trees", "git/trees{/sha}"},
            {"statuses", "statuses/{sha}"}, {"languages", "languages"}, {"stargazers", "stargazers"},
            {"contributors", "contributors"}, {"subscribers", "subscribers"}, {"subscription", "subscription"},
            {"commits", "commits{/sha}"}, {"git_commits", "git/commits{/sha}"}, {"comments", "comments{/number}"},
            {"issue_comment", "issues/comments{/number}"}, {"contents", "contents/{+path}"},
            {"compare", "compare/{base}...{head}"}, {"merges", "merges"}, {"archive", "{archive_format}{/ref}"},
            {"downloads", "downloads"}, {"issues", "issues{/number}"}, {"pulls", "pulls{/number}"},
            {"milestones", "milestones{/number}"}, {"notifications", "notifications{?since,all,participating}"},
            {"labels", "labels{/name}"}, {"releases", "releases{/id}"}, {"deployments", "deployments"}};
        for (String[] link : links) {
            r.put(link[0] + "_url", api + "/" + link[1]);
        }
        r.put("created_at", 1_700_000_000).put("updated_at", "2026-11-20T10:00:00Z").put("pushed_at", 1_790_000_000)
                .put("git_url", "git://github.com/" + repository + ".git")
                .put("ssh_url", "git@github.com:" + repository + ".git")
                .put("clone_url", "https://github.com/" + repository + ".git")
                .put("svn_url", "https://github.com/" + repository).putNull("homepage").put("size", 5_321)
                .put("stargazers_count", 12).put("watchers_count", 12).put("language", "TypeScript")
                .put("has_issues", true).put("has_projects", true).put("has_downloads", true).put("has_wiki", false)
                .put("has_pages", false).put("has_discussions", false).put("forks_count", 1).putNull("mirror_url")
                .put("archived", false).put("disabled", false).put("open_issues_count", 3).putNull("license")
                .put("allow_forking", false).put("is_template", false).put("web_commit_signoff_required", false)
                .put("visibility", "private").put("forks", 1).put("open_issues", 3).put("watchers", 12)
                .put("default_branch", branch).put("stargazers", 12).put("master_branch", branch)
                .put("organization", owner);
        r.putArray("topics");
        r.putObject("custom_properties");
    }

    private static void user(ObjectNode u, String login, long id) {
        String api = API + "/users/" + login;
        u.put("name", login).put("email", login + "@example.com").put("login", login).put("id", id)
                .put("node_id", "MDQ6VXNlcjEwMDAwMDE=").put("avatar_url", "https://avatars.githubusercontent.com/u/"
                        + id + "?v=4").put("gravatar_id", "").put("url", api)
                .put("html_url", "https://github.com/" + login).put("followers_url", api + "/followers")
                .put("following_url", api + "/following{/other_user}").put("gists_url", api + "/gists{/gist_id}")
                .put("starred_url", api + "/starred{/owner}{/repo}").put("subscriptions_url", api + "/subscriptions")
                .put("organizations_url", api + "/orgs").put("repos_url", api + "/repos")
                .put("events_url", api + "/events{/privacy}").put("received_events_url", api + "/received_events")
                .put("type", "User").put("user_view_type", "public").put("site_admin", false);
    }

    private static void commit(ObjectNode c, String repository, String sha, String message, String owner) {
        c.put("id", sha).put("tree_id", sha()).put("distinct", true).put("message", message)
                .put("timestamp", "2026-11-27T09:30:00+01:00")
                .put("url", "https://github.com/" + repository + "/commit/" + sha);
        c.putObject("author").put("name", "Grace Hopper").put("email", "grace@example.com").put("username", owner);
        c.putObject("committer").put("name", "GitHub").put("email", "noreply@github.com").put("username", "web-flow");
        c.putArray("added");
        c.putArray("removed");
        c.putArray("modified").add("src/server.ts").add("package.json");
    }

    private static String sha() {
        return UUID.randomUUID().toString().replace("-", "") + "abcdef01";
    }
}
