package com.vangoframework.rhone.github;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A webhook delivery written by hand over a socket from a chosen loopback address (127.0.0.2 and
 * so on: the service sees each as another source), so a test can declare one length, send less,
 * stall, trickle, or send chunks without end, as a hostile client would.
 */
final class RawDelivery implements Closeable {

    /** A signature header of the right form that matches no body: it gets a body read, then a 401. */
    static final String FORGED_SIGNATURE = "sha256=" + "0".repeat(64);

    /** The status (-1 when the connection ended without one), headers in lower case, and body. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private volatile boolean writeFailed;

    RawDelivery(String fromAddress, int port) throws IOException {
        socket = new Socket();
        socket.bind(new InetSocketAddress(fromAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        // Well past every deadline the tests configure, well short of a hung test.
        socket.setSoTimeout(25_000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** The request head: a declared length, or chunked when {@code contentLength} is negative. */
    RawDelivery head(long contentLength, String signature, String delivery, String... extraHeaderLines)
            throws IOException {
        StringBuilder head = new StringBuilder("POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .append("Content-Type: application/json\r\nX-GitHub-Event: ping\r\n")
                .append("X-GitHub-Delivery: ").append(delivery).append("\r\n");
        for (String line : extraHeaderLines) {
            head.append(line).append("\r\n");
        }
        if (signature != null) {
            head.append("X-Hub-Signature-256: ").append(signature).append("\r\n");
        }
        head.append(contentLength >= 0 ? "Content-Length: " + contentLength : "Transfer-Encoding: chunked")
                .append("\r\n\r\n");
        return write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes bytes, unless the server has already closed on this client (then remembers that). */
    RawDelivery write(byte[] bytes) {
        if (writeFailed) {
            return this;
        }
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException refused) {
            writeFailed = true; // the server answered and closed; the answer is still to be read
        }
        return this;
    }

    /** One chunk of a chunked body. */
    RawDelivery chunk(byte[] bytes) {
        write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        write(bytes);
        return write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    boolean writeFailed() {
        return writeFailed;
    }

    /** True once some of the answer has arrived (or the connection ended), so trickling can stop. */
    boolean answered() {
        try {
            return in.available() > 0 || writeFailed;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads the answer: status line, headers, and a body of its {@code Content-Length}. */
    Answer answer() throws IOException {
        String head;
        try {
            head = readHead();
        } catch (IOException reset) {
            return new Answer(-1, Map.of(), reset.toString());
        }
        if (head == null) {
            return new Answer(-1, Map.of(), "");
        }
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Answer(status, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    /** True when the server has closed the connection after its answer. */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException reset) {
            return true;
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            last4 = (last4 << 8) | b;
            if (last4 == 0x0d0a0d0a) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
