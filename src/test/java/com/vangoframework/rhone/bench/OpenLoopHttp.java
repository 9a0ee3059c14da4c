package com.vangoframework.rhone.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A lean open-loop HTTP/1.1 load generator for benchmarks on a small machine: a fixed set of
 * keep-alive connections, each driven by one thread that writes pre-built request bytes and
 * reads the status line, headers and {@code Content-Length} body. Requests are released at
 * their due times by one pacing thread; a request's latency runs from its due time, so time
 * spent waiting for a free connection counts (no coordinated omission). It spends a fraction
 * of the CPU of {@code java.net.http.HttpClient}, which on two cores would otherwise compete
 * with the service it measures.
 */
final class OpenLoopHttp {

    /** One answer: the status code (or -1 on an I/O error) and the latency in microseconds. */
    record Answer(int status, long micros) {
    }

    private record Job(byte[] request, long dueNanos) {
    }

    private static final Job STOP = new Job(new byte[0], 0);

    private final String host;
    private final int port;
    private final int connections;

    OpenLoopHttp(String host, int port, int connections) {
        this.host = host;
        this.port = port;
        this.connections = connections;
    }

    /** The bytes of a POST with the given headers and body, ready to write. */
    static byte[] post(String path, String hostHeader, List<String[]> headers, byte[] body) {
        StringBuilder head = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader)
                .append("\r\nContent-Length: ").append(body.length).append("\r\n");
        for (String[] h : headers) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        byte[] top = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[top.length + body.length];
        System.arraycopy(top, 0, all, 0, top.length);
        System.arraycopy(body, 0, all, top.length, body.length);
        return all;
    }

    /** Sends {@code requests} at {@code ratePerSecond}, open-loop; returns every answer. */
    List<Answer> run(List<byte[]> requests, double ratePerSecond) throws InterruptedException {
        LinkedBlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
        List<Answer> answers = java.util.Collections.synchronizedList(new ArrayList<>(requests.size()));
        CountDownLatch done = new CountDownLatch(connections);
        for (int c = 0; c < connections; c++) {
            Thread t = new Thread(() -> {
                try {
                    drive(jobs, answers);
                } finally {
                    done.countDown();
                }
            }, "load-" + c);
            t.setDaemon(true);
            t.start();
        }
        long start = System.nanoTime();
        for (int i = 0; i < requests.size(); i++) {
            long due = start + (long) (i * 1e9 / ratePerSecond);
            long now;
            while ((now = System.nanoTime()) < due) {
                LockSupport.parkNanos(due - now);
            }
            jobs.add(new Job(requests.get(i), due));
        }
        for (int c = 0; c < connections; c++) {
            jobs.add(STOP);
        }
        done.await();
        return answers;
    }

    private void drive(LinkedBlockingQueue<Job> jobs, List<Answer> answers) {
        Socket socket = null;
        InputStream in = null;
        try {
            while (true) {
                Job job = jobs.take();
                if (job == STOP) {
                    return;
                }
                int status;
                try {
                    if (socket == null) {
                        socket = new Socket();
                        socket.setTcpNoDelay(true);
                        socket.connect(new InetSocketAddress(host, port), 5000);
                        socket.setSoTimeout(120_000);
                        in = new BufferedInputStream(socket.getInputStream(), 8192);
                    }
                    OutputStream out = socket.getOutputStream();
                    out.write(job.request());
                    out.flush();
                    int[] response = readResponse(in);
                    status = response[0];
                    if (response[1] == 1) { // the server closes the connection after this answer
                        socket.close();
                        socket = null;
                    }
                } catch (IOException e) {
                    status = -1;
                    closeQuietly(socket);
                    socket = null;
                }
                answers.add(new Answer(status, (System.nanoTime() - job.dueNanos()) / 1000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(socket);
        }
    }

    /** Reads one response: its status, and 1 if the server closes the connection after it. */
    private static int[] readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        long length = 0;
        boolean close = false;
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        in.skipNBytes(length);
        return new int[] {status, close ? 1 : 0};
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
