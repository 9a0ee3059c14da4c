package com.vangoframework.rhone.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events reader that parses the stream as a browser's EventSource does (fields,
 * blank-line dispatch, comments), so tests see exactly what a page would.
 */
public final class SseClient implements AutoCloseable {

    /** One dispatched event, or a comment (name ":"). */
    public record Event(String id, String name, List<String> data) {
        public boolean isComment() {
            return ":".equals(name);
        }
    }

    private static final Event END = new Event(null, "<end>", List.of());
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final HttpResponse<java.io.InputStream> response;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile long retryMillis = -1;

    private SseClient(HttpResponse<java.io.InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        this.reader.setDaemon(true);
        if (response.statusCode() == 200) {
            reader.start();
        }
    }

    public static SseClient open(String url, String sessionCookie, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
                .header("Accept", "text/event-stream");
        if (sessionCookie != null) {
            request.header("Cookie", "rhone_session=" + sessionCookie);
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    public int status() {
        return response.statusCode();
    }

    public HttpResponse<java.io.InputStream> response() {
        return response;
    }

    /** The reconnection time the stream last set with a {@code retry:} field, as a browser keeps it; -1 before one. */
    public long retryMillis() {
        return retryMillis;
    }

    /** The next event or comment; null when the stream ended; fails after {@code seconds}. */
    public Event next(long seconds) throws InterruptedException {
        Event e = events.poll(seconds, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no event within " + seconds + " s");
        }
        return e == END ? null : e;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String name = null;
            List<String> data = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (name != null || !data.isEmpty()) {
                        events.add(new Event(id, name == null ? "message" : name, data));
                    }
                    name = null;
                    data = new ArrayList<>();
                } else if (line.startsWith(":")) {
                    events.add(new Event(null, ":", List.of(line.substring(1))));
                } else {
                    int colon = line.indexOf(':');
                    String field = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : line.substring(colon + 1);
                    if (value.startsWith(" ")) {
                        value = value.substring(1);
                    }
                    switch (field) {
                        case "id" -> id = value;
                        case "event" -> name = value;
                        case "data" -> data.add(value);
                        case "retry" -> {
                            if (value.matches("\\d{1,18}")) {
                                retryMillis = Long.parseLong(value);
                            }
                        }
                        default -> { }
                    }
                }
            }
        } catch (IOException e) {
            // closed by the test
        } finally {
            events.add(END);
        }
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // already closed
        }
        reader.interrupt();
    }
}
