package com.vangoframework.rhone.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.vangoframework.rhone.github.WebhookSignature;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Turns a seed into requests at the three edges a stranger can reach: the JSON API, the webhook
 * and the dashboard's forms. Case {@code n} of seed {@code s} is always the same request, so a
 * failure names the two numbers that bring it back.
 */
final class HostileRequests {

    enum Surface { API, WEBHOOK, DASHBOARD }

    /**
     * One request. {@code signed}: a webhook delivery whose signature is right, the one case where
     * a refusal is recorded (as {@code rejected: …}) and so writes a row.
     */
    record Case(int number, Surface surface, String summary, byte[] request, boolean signed) {
    }

    /** What the fuzzer may use that a real client of this service would have. */
    record Credentials(String token, String otherTeamsToken, String session, String csrf, WebhookSignature signer,
                       List<String> slugs, List<String> deploymentIds, long installation, String repository) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> EVENTS = List.of("push", "pull_request", "installation",
            "installation_repositories", "check_run", "check_suite", "ping", "push", "push", "pull_request");
    private static final List<String> CONTENT_TYPES = List.of("application/json", "application/json; charset=utf-8",
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "a/b/c", ";;;",
            "application/json; charset=utf-16", "application/json; charset=nonsense", "*/*", "application/xml");

    private final long seed;
    private final Credentials who;

    HostileRequests(long seed, Credentials who) {
        this.seed = seed;
        this.who = who;
    }

    Case make(int number) {
        // One random per case: a case does not depend on the ones before it.
        HostileValues v = new HostileValues(new Random(seed * 1_000_003L + number));
        int surface = v.random().nextInt(10);
        if (surface < 4) {
            return api(number, v);
        }
        if (surface < 7) {
            return webhook(number, v);
        }
        return dashboard(number, v);
    }

    // ---- the JSON API ----

    private Case api(int number, HostileValues v) {
        String slug = v.chance(0.7) ? v.pick(who.slugs()) : v.string();
        String base = "/api/apps/" + segment(v, slug) + "/deployments";
        String auth = switch (v.random().nextInt(10)) {
            case 0 -> null;
            case 1 -> "Bearer " + who.otherTeamsToken();
            case 2 -> "Bearer " + headerSafe(v.string());
            case 3 -> "Basic " + headerSafe(v.string());
            default -> "Bearer " + who.token();
        };
        String method;
        String target;
        byte[] body = null;
        String contentType = null;
        switch (v.random().nextInt(8)) {
            case 0, 1, 2 -> {
                method = "POST";
                target = base;
                ObjectNode template = JSON.createObjectNode();
                if (v.chance(0.7)) {
                    template.put("commit_sha", v.chance(0.5) ? sha(v) : v.string());
                }
                byte[] valid = write(template);
                body = v.chance(0.5) ? write(v.mutate(template)) : v.chance(0.6) ? v.oddBody(valid) : valid;
                contentType = v.chance(0.7) ? "application/json" : v.pick(CONTENT_TYPES);
            }
            case 3 -> {
                method = "GET";
                target = base + (v.chance(0.5) ? "" : "?limit=" + query(v, v.string()) + "&before="
                        + query(v, v.id(who.deploymentIds())));
            }
            case 4 -> {
                method = "GET";
                target = base + "/" + segment(v, v.id(who.deploymentIds())) + (v.chance(0.5) ? "" : "/log");
            }
            default -> {
                method = v.chance(0.9) ? "POST" : v.pick(List.of("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"));
                target = base + "/" + segment(v, v.id(who.deploymentIds())) + "/"
                        + v.pick(List.of("cancel", "retry", "approve", "approve", "../cancel", "x"));
                if (v.chance(0.3)) {
                    body = v.oddBody(new byte[0]);
                    contentType = v.pick(CONTENT_TYPES);
                }
            }
        }
        List<String> headers = new ArrayList<>();
        if (auth != null) {
            headers.add("Authorization: " + auth);
        }
        if (contentType != null) {
            headers.add("Content-Type: " + contentType);
        }
        if (v.chance(0.05)) {
            headers.add("Content-Encoding: " + v.pick(List.of("gzip", "deflate", "br", "identity, gzip")));
        }
        if (v.chance(0.05)) {
            headers.add("Accept: " + v.pick(List.of("text/html", "application/xml", "*/*", "\u00ff")));
        }
        return new Case(number, HostileRequests.Surface.API, method + " " + abbreviate(target) + " " + describe(body),
                request(v, method, target, headers, body), false);
    }

    // ---- the webhook ----

    private Case webhook(int number, HostileValues v) {
        String event = v.chance(0.85) ? v.pick(EVENTS) : headerSafe(v.string());
        JsonNode template = payload(event, v);
        byte[] body;
        if (v.chance(0.6)) {
            body = write(v.mutate(template));
        } else if (v.chance(0.5)) {
            body = v.oddBody(write(template));
        } else {
            body = write(template); // well formed: what it asks for may be fine or refused
        }
        List<String> headers = new ArrayList<>();
        headers.add("Content-Type: " + (v.chance(0.8) ? "application/json" : v.pick(CONTENT_TYPES)));
        if (v.chance(0.95)) {
            headers.add("X-GitHub-Event: " + event);
        }
        if (v.chance(0.95)) {
            headers.add("X-GitHub-Delivery: " + (v.chance(0.8) ? UUID.randomUUID().toString() : headerSafe(v.string())));
        }
        boolean signed = false;
        int signing = v.random().nextInt(10);
        if (signing < 7) {
            headers.add("X-Hub-Signature-256: " + who.signer().sign(body));
            signed = true;
        } else if (signing < 9) {
            headers.add("X-Hub-Signature-256: " + (v.chance(0.5) ? "sha256=" + "0".repeat(64) : headerSafe(v.string())));
        }
        if (v.chance(0.05)) {
            headers.add("Content-Encoding: gzip");
            signed = false; // refused before the signature is read, so never recorded
        }
        return new Case(number, HostileRequests.Surface.WEBHOOK, "POST /webhooks/github " + abbreviate(event) + " "
                + (signed ? "signed " : "unsigned ") + describe(body),
                request(v, "POST", "/webhooks/github", headers, body), signed);
    }

    private JsonNode payload(String event, HostileValues v) {
        ObjectNode p = JSON.createObjectNode();
        p.putObject("repository").put("full_name", who.repository()).put("id", 77);
        p.putObject("installation").put("id", who.installation());
        p.putObject("sender").put("login", "octocat").put("id", 1);
        switch (event) {
            case "push" -> {
                String after = sha(v);
                p.put("ref", v.chance(0.8) ? "refs/heads/main" : "refs/heads/" + v.string())
                        .put("before", sha(v)).put("after", after).put("deleted", false);
                ObjectNode head = p.putObject("head_commit");
                head.put("id", after).put("message", v.chance(0.5) ? "fix" : v.string());
                head.putObject("author").put("name", v.chance(0.5) ? "Grace" : v.string());
            }
            case "pull_request" -> {
                p.put("action", v.pick(List.of("opened", "synchronize", "reopened", "closed", "edited")))
                        .put("number", v.chance(0.8) ? 7 : v.random().nextInt());
                ObjectNode pr = p.putObject("pull_request");
                pr.put("number", 7).put("title", v.chance(0.5) ? "Change" : v.string());
                ObjectNode head = pr.putObject("head");
                head.put("sha", sha(v)).put("ref", "feature");
                head.putObject("repo").put("full_name", v.chance(0.7) ? who.repository() : "stranger/fork");
                pr.putObject("base").put("ref", "main").putObject("repo").put("full_name", who.repository());
                pr.putObject("user").put("login", "octocat");
            }
            case "installation" -> {
                p.put("action", v.pick(List.of("created", "deleted", "suspend", "unsuspend")));
                p.with("installation").putObject("account").put("login", "acme");
                p.putArray("repositories").addObject().put("id", 77).put("full_name", who.repository());
            }
            case "installation_repositories" -> {
                p.put("action", v.pick(List.of("added", "removed")));
                p.putArray("repositories_added").addObject().put("id", 78).put("full_name", "acme/other");
                p.putArray("repositories_removed").addObject().put("id", 79).put("full_name", "acme/gone");
            }
            case "check_run" -> {
                p.put("action", v.pick(List.of("rerequested", "requested_action", "created")));
                p.putObject("check_run").put("external_id", v.id(who.deploymentIds())).put("head_sha", sha(v));
                p.putObject("requested_action").put("identifier", v.pick(List.of("approve", "rebuild", "x")));
            }
            case "check_suite" -> {
                p.put("action", "rerequested");
                p.putObject("check_suite").put("head_sha", sha(v)).put("head_branch", "main");
            }
            case "ping" -> p.put("zen", "Keep it logically awesome.").put("hook_id", 1);
            default -> p.put("action", v.string());
        }
        return p;
    }

    // ---- the dashboard's forms and pages ----

    private Case dashboard(int number, HostileValues v) {
        String slug = v.chance(0.7) ? v.pick(who.slugs()) : v.string();
        String id = v.id(who.deploymentIds());
        String session = switch (v.random().nextInt(10)) {
            case 0 -> null;
            case 1 -> headerSafe(v.string());
            default -> who.session();
        };
        String csrf = v.chance(0.8) ? who.csrf() : v.string();
        String method = "POST";
        String target;
        List<String> form = new ArrayList<>();
        switch (v.random().nextInt(9)) {
            case 0, 1 -> {
                target = "/apps/" + segment(v, slug) + "/deploy";
                form.add("commit_sha=" + query(v, v.chance(0.5) ? sha(v) : v.string()));
            }
            case 2 -> target = "/apps/" + segment(v, slug) + "/deployments/" + segment(v, id) + "/cancel";
            case 3 -> target = "/apps/" + segment(v, slug) + "/deployments/" + segment(v, id) + "/retry";
            case 4 -> target = "/apps/" + segment(v, slug) + "/deployments/" + segment(v, id) + "/approve";
            case 5 -> {
                target = "/login/link";
                form.add("token=" + query(v, v.string()));
            }
            case 6 -> {
                method = "GET";
                target = "/apps/" + segment(v, slug) + (v.chance(0.5) ? "?before=" + query(v, v.id(who.deploymentIds()))
                        : "/deployments/" + segment(v, id) + v.pick(List.of("", "/log.txt", "/lines?before="
                        + query(v, v.string()))));
            }
            case 7 -> {
                method = "GET";
                target = v.pick(List.of("/login/github/callback?code=", "/login/link?token=", "/apps?x="))
                        + query(v, v.string()) + "&state=" + query(v, v.string());
            }
            default -> target = "/logout";
        }
        if (method.equals("POST")) {
            if (v.chance(0.9)) {
                form.add("csrf=" + query(v, csrf));
            }
            if (v.chance(0.2)) {
                form.add(query(v, v.string()) + "=" + query(v, v.string()));
            }
        }
        byte[] body = method.equals("POST")
                ? (v.chance(0.9) ? String.join("&", form).getBytes(StandardCharsets.UTF_8) : v.oddBody(new byte[0]))
                : null;
        List<String> headers = new ArrayList<>();
        if (session != null) {
            headers.add("Cookie: " + com.vangoframework.rhone.web.Sessions.COOKIE + "=" + session);
        }
        if (body != null) {
            headers.add("Content-Type: " + (v.chance(0.85) ? "application/x-www-form-urlencoded" : v.pick(CONTENT_TYPES)));
        }
        return new Case(number, HostileRequests.Surface.DASHBOARD, method + " " + abbreviate(target) + " " + describe(body),
                request(v, method, target, headers, body), false);
    }

    // ---- bytes on the wire ----

    private static byte[] request(HostileValues v, String method, String target, List<String> headers, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, (method + " ").getBytes(StandardCharsets.US_ASCII));
        // The target mostly arrives percent-encoded; sometimes raw UTF-8, as a broken client sends it.
        write(out, target.getBytes(v.chance(0.05) ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1));
        write(out, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".getBytes(StandardCharsets.US_ASCII));
        for (String h : headers) {
            write(out, h.getBytes(StandardCharsets.UTF_8));
            write(out, "\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        if (body != null) {
            if (v.chance(0.1)) {
                write(out, "Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                write(out, (Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                write(out, body);
                write(out, (body.length == 0 ? "" : "\r\n0\r\n").getBytes(StandardCharsets.US_ASCII));
                write(out, "\r\n".getBytes(StandardCharsets.US_ASCII));
                return out.toByteArray();
            }
            write(out, ("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        write(out, "\r\n".getBytes(StandardCharsets.US_ASCII));
        if (body != null) {
            write(out, body);
        }
        return out.toByteArray();
    }

    /** A path segment: percent-encoded as a client would, or now and then passed through raw. */
    private static String segment(HostileValues v, String s) {
        boolean plainAscii = s.chars().allMatch(c -> c > 0x20 && c < 0x7F && c != '?' && c != '#');
        if (plainAscii && v.chance(0.15)) {
            return s; // "../", "%00", "%ff" and friends as typed
        }
        return percentEncode(s);
    }

    private static String query(HostileValues v, String s) {
        return segment(v, s).replace("&", "%26").replace("=", "%3D");
    }

    private static String percentEncode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /** Header values keep their odd characters but not a line break, which would start another request. */
    private static String headerSafe(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }

    private static String sha(HostileValues v) {
        StringBuilder s = new StringBuilder(40);
        for (int i = 0; i < 40; i++) {
            s.append(Character.forDigit(v.random().nextInt(16), 16));
        }
        return s.toString();
    }

    private static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes, 0, bytes.length);
    }

    private static String abbreviate(String s) {
        String printable = s.codePoints().map(c -> c < 0x20 || c == 0x7F ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return printable.length() > 120 ? printable.substring(0, 120) + "…(" + s.length() + " chars)" : printable;
    }

    private static String describe(byte[] body) {
        if (body == null) {
            return "(no body)";
        }
        return "(" + body.length + " bytes: " + abbreviate(new String(body, 0, Math.min(body.length, 200),
                StandardCharsets.UTF_8)) + ")";
    }
}
