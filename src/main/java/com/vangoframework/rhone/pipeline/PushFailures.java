package com.vangoframework.rhone.pipeline;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failed push (or a build whose output ends in a push or cache export) said, in the words
 * Docker's CLI and BuildKit use: worth trying again (the registry or the path to it failed for
 * now), refused for good (credentials, a name or manifest the registry will not take), or the
 * build node's disk is full. Only the program's output is read: each pattern below is a message
 * Go's net/http, Docker's distribution client or containerd's resolver prints.
 */
final class PushFailures {

    enum Kind {
        /** The connection or the registry failed for now: trying again may work. */
        TRANSIENT,
        /** The registry refused the credentials, or has no right for them: trying again cannot help. */
        DENIED,
        /** ENOSPC: no retry can help until someone frees space. */
        DISK_FULL,
        /** Anything else (a manifest or name the registry will not take, an unknown error): not retried. */
        OTHER
    }

    /** {@code reason}: a few words for the build log ("connection refused", "HTTP 503"), never the line itself. */
    record Verdict(Kind kind, String reason, String line) {
    }

    private record Rule(Pattern pattern, String reason) {
    }

    private static final String DISK_FULL = "no space left on device";

    private static final List<Rule> DENIED = List.of(
            new Rule(Pattern.compile("(?i)\\bunauthorized\\b|authentication required|\\b401 Unauthorized"),
                    "unauthorized"),
            // Not "permission denied": that is a local file or socket, not the registry.
            new Rule(Pattern.compile("(?i)(?<!permission )\\bdenied\\b|\\b403 Forbidden|insufficient_scope"), "denied"),
            // Docker's own words when the registry asks for credentials and the build has none.
            new Rule(Pattern.compile("(?i)no basic auth credentials"), "no credentials"));

    /** Order matters only for the reason shown: the first that matches a line names it. */
    private static final List<Rule> TRANSIENT = List.of(
            new Rule(Pattern.compile("(?i)connection refused"), "connection refused"),
            new Rule(Pattern.compile("(?i)connection reset"), "connection reset"),
            new Rule(Pattern.compile("(?i)TLS handshake timeout"), "TLS handshake timeout"),
            new Rule(Pattern.compile("(?i)i/o timeout|Client\\.Timeout exceeded|timeout awaiting response headers"
                    + "|deadline exceeded"), "timeout"),
            // Go's net/http when the registry closed a kept-alive connection under it (a restart).
            new Rule(Pattern.compile("(?i)broken pipe|use of closed network connection|server closed idle connection"),
                    "connection closed"),
            new Rule(Pattern.compile("(?i)no route to host|network is unreachable"), "network unreachable"),
            new Rule(Pattern.compile("(?i)server misbehaving|temporary failure in name resolution"), "DNS failure"),
            // "received unexpected HTTP status: 503 Service Unavailable" (docker), "unexpected status
            // from PUT request to …: 502 Bad Gateway" (containerd): a status with its reason phrase.
            new Rule(Pattern.compile("(?i:status).*?\\b(5\\d\\d) [A-Z][a-z]"), "HTTP $1"),
            new Rule(Pattern.compile("(?i:status).*?\\b429 [A-Z][a-z]|toomanyrequests"), "HTTP 429"),
            // Go's io.EOF as the end of an error ("Post \"…\": EOF", "unexpected EOF").
            new Rule(Pattern.compile("(?:: |unexpected )EOF$"), "connection closed early"));

    private PushFailures() {
    }

    /**
     * The verdict on a failed program's output: ENOSPC anywhere in it, else its last line (where
     * docker push and buildctl print their error; earlier lines are progress, or a build step's
     * own output, which may mention "connection refused" for reasons of its own).
     */
    static Verdict classify(List<String> lines) {
        var full = diskFullLine(lines);
        if (full.isPresent()) {
            return new Verdict(Kind.DISK_FULL, DISK_FULL, full.get());
        }
        String line = "";
        for (int i = lines.size() - 1; i >= 0 && line.isEmpty(); i--) {
            line = lines.get(i).strip();
        }
        for (Rule rule : DENIED) {
            if (rule.pattern().matcher(line).find()) {
                return new Verdict(Kind.DENIED, rule.reason(), line);
            }
        }
        // "http: server gave HTTP response to HTTPS client" is a registry Docker expects TLS from,
        // misconfigured for good: not matched here, so it fails at once in its own words.
        for (Rule rule : TRANSIENT) {
            Matcher m = rule.pattern().matcher(line);
            if (m.find()) {
                String reason = m.groupCount() > 0 ? rule.reason().replace("$1", m.group(1)) : rule.reason();
                return new Verdict(Kind.TRANSIENT, reason, line);
            }
        }
        return new Verdict(Kind.OTHER, "", line);
    }

    /** The line of {@code lines} that reports ENOSPC, if any. */
    static java.util.Optional<String> diskFullLine(Iterable<String> lines) {
        for (String line : lines) {
            if (line.toLowerCase(Locale.ROOT).contains(DISK_FULL)) {
                return java.util.Optional.of(line.strip());
            }
        }
        return java.util.Optional.empty();
    }

    /** The failure sentence for a full disk, with the program's own words after it. */
    static String diskFullSentence(String line) {
        return "no space left on the build node: " + line;
    }

    /** The failure sentence for a push the registry refused on the grounds of who asked. */
    static String deniedSentence(String imageTag, String line) {
        return "the registry refused to let rhone push " + imageTag + " (" + line + "): check the registry "
                + "credentials (RHONE_REGISTRY_USER and FLY_API_TOKEN, or the app's set-registry-credentials)";
    }
}
