package com.vangoframework.rhone.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What the two Server-Sent Events filters (build logs, live app pages) share: answering before a
 * stream opens, reading a resume cursor, and opening the stream itself. They are servlet filters,
 * not JAX-RS resources, because a resource's output is buffered until 8 KiB or the end whatever
 * it flushes; written straight to the servlet response, each flush reaches the browser.
 */
final class EventStreams {

    static final String CONTENT_TYPE = "text/event-stream";

    private EventStreams() {
    }

    /** A short plain-text answer instead of a stream (signed out, not found, too many open). */
    static void plain(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().println(message);
    }

    /** A stream the node's {@link StreamSlots} did not let in: the status, when to come back, and why. */
    static void refused(HttpServletResponse response, StreamSlots.Admission refusal) throws IOException {
        response.setHeader("Retry-After", String.valueOf(refusal.retryAfterSeconds()));
        plain(response, refusal.status(), refusal.refusal());
    }

    /** A resume cursor (Last-Event-ID or a query parameter), if it is a number. */
    static Optional<Long> cursor(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Starts the stream: status, headers that keep proxies from buffering it, and its writer. */
    static Writer open(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType(CONTENT_TYPE + ";charset=utf-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no");
        return new BufferedWriter(new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8),
                16 * 1024);
    }

    /** Sends what was written to the browser now. */
    static void flush(Writer w, HttpServletResponse response) throws IOException {
        w.flush();
        response.flushBuffer();
    }
}
