package com.vangoframework.rhone.build;

import com.vangoframework.rhone.deployments.BuildContext;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.logs.BuildLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds a plan into an image and pushes it; {@code buildctl} in production, the local Docker engine here. */
public interface ImageBuilder {

    /**
     * One build. {@code secrets} are the app's env vars: they reach the build only as BuildKit
     * secrets ({@code RUN --mount=type=secret,id=NAME}), never as build args. {@code workDir} is
     * private to this build (registry credentials are written there, never to a shared path).
     */
    record Request(BuildPlan plan, String imageTag, String cacheRef, Map<String, String> secrets, Path workDir,
                   Duration timeout) {
        public Request {
            secrets = Map.copyOf(secrets);
        }

        /** sha256 over the sorted NAME=value lines: a changed value changes it and busts the cache. */
        public String secretsHash() {
            StringBuilder lines = new StringBuilder();
            new TreeMap<>(secrets).forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(lines.toString().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    record Image(String tag, String digest) {
    }

    /** @param onPushing called once the image is built and the push starts */
    Image build(Request request, BuildLog log, BuildContext ctx, PushingListener onPushing)
            throws BuildFailure, BuildContext.BuildAbortedException, InterruptedException;

    @FunctionalInterface
    interface PushingListener {
        void pushing() throws BuildContext.BuildAbortedException;
    }

    /** Short description for logs and health checks. */
    String describe();

    Pattern ERROR_LINE = Pattern.compile("^(?:#\\d+ )?(?:ERROR|error):? ?(.*)$");

    /** The last BuildKit error line of a failed build, as one sentence. */
    static String failureSentence(Iterable<String> tail) {
        String found = null;
        for (String line : tail) {
            Matcher m = ERROR_LINE.matcher(line.strip());
            if (m.matches() && !m.group(1).isBlank()) {
                found = m.group(1).strip();
            }
        }
        return found == null ? "the image build failed: see the build log"
                : "the image build failed: " + found;
    }
}
