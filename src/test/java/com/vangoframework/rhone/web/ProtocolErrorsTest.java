package com.vangoframework.rhone.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.testing.Fixtures;
import com.vangoframework.rhone.testing.ScriptedPipeline;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Jetty itself refuses before any endpoint runs (a request line or headers too long, a
 * Content-Type it cannot parse) is answered in the same JSON error shape as the rest of the API,
 * never as Jetty's HTML page. Sent over a raw socket: an HTTP client library refuses to send most
 * of these requests at all.
 */
class ProtocolErrorsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestService service;
    static Jdbi jdbi;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        jdbi = TestPostgres.jdbi(db);
        Fixtures fx = new Fixtures(jdbi);
        var acme = fx.team("acme");
        fx.app(acme, "web");
        token = fx.token(acme);
        service = new TestService(db, dir, new ScriptedPipeline(),
                ConfigOverride.config("builds.workerEnabled", "false")).start();
    }

    @AfterAll
    static void stop() {
        service.stop();
    }

    record Answer(int status, String contentType, String body) {
    }

    static Answer send(String head, String body) throws Exception {
        URI url = URI.create(service.url());
        try (Socket s = new Socket(url.getHost(), url.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((head + "Host: localhost\r\nConnection: close\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int split = response.indexOf("\r\n\r\n");
            String headers = response.substring(0, split).toLowerCase(java.util.Locale.ROOT);
            int ct = headers.indexOf("\ncontent-type:");
            String contentType = ct < 0 ? "" : headers.substring(ct + 14, headers.indexOf('\r', ct + 1)).strip();
            String rest = response.substring(split + 4);
            if (headers.contains("transfer-encoding: chunked")) {
                rest = dechunk(rest);
            }
            return new Answer(status, contentType, rest);
        }
    }

    static String dechunk(String chunked) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", i);
            int size = Integer.parseInt(chunked.substring(i, eol).strip(), 16);
            if (size == 0) {
                return b.toString();
            }
            b.append(chunked, eol + 2, eol + 2 + size);
            i = eol + 2 + size + 2;
        }
    }

    static void assertJsonError(Answer a, int status) throws Exception {
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.contentType()).startsWith("application/json");
        JsonNode body = JSON.readTree(a.body());
        assertThat(body.get("code").asInt()).isEqualTo(status);
        assertThat(body.get("message").asText()).isNotBlank();
        assertThat(a.body()).doesNotContain("<html");
    }

    @Test
    void aTooLongRequestLine_is414InTheJsonShape() throws Exception {
        assertJsonError(send("GET /api/apps/" + "a".repeat(20_000) + " HTTP/1.1\r\n", ""), 414);
    }

    @Test
    void tooLargeHeaders_are431InTheJsonShape() throws Exception {
        assertJsonError(send("GET /api/apps/web/deployments HTTP/1.1\r\nX-Big: " + "b".repeat(20_000) + "\r\n", ""),
                431);
    }

    @Test
    void anUnparseableContentType_is4xxInTheJsonShape_andCreatesNothing() throws Exception {
        Answer a = send("POST /api/apps/web/deployments HTTP/1.1\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json; charset=\"\r\n", "{}");
        assertThat(a.status()).isBetween(400, 499);
        assertJsonError(a, a.status());
        long deployments = jdbi.withHandle(h -> h.select("SELECT count(*) FROM deployments").mapTo(Long.class).one());
        assertThat(deployments).isZero();
    }

    /** Found by the fuzz run: Jetty writes an error body only for GET, POST and HEAD by default. */
    @Test
    void refusalsOfOtherMethods_carryTheSentenceToo() throws Exception {
        assertJsonError(send("TRACE /api/apps/web/deployments HTTP/1.1\r\n", ""), 405);
        assertJsonError(send("TRACE /apps/web HTTP/1.1\r\n", ""), 405);
        Answer patch = send("PATCH /api/apps/web/deployments/1/retry HTTP/1.1\r\nAuthorization: Bearer a b\r\n", "");
        assertThat(patch.status()).isBetween(400, 499);
        assertJsonError(patch, patch.status());
    }
}
