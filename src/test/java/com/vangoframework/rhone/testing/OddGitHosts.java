package com.vangoframework.rhone.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * Git hosts that are not the smart-HTTP server a clone expects: a plain file server over a bare
 * repository (git's "dumb" HTTP protocol), a server that closes every connection at once, one
 * that never answers, and a web server that answers every path with an HTML page.
 */
public final class OddGitHosts implements AutoCloseable {

    private final AutoCloseable server;
    private final String url;
    private final java.util.concurrent.atomic.AtomicInteger requests;

    private OddGitHosts(AutoCloseable server, String url) {
        this(server, url, new java.util.concurrent.atomic.AtomicInteger());
    }

    private OddGitHosts(AutoCloseable server, String url, java.util.concurrent.atomic.AtomicInteger requests) {
        this.server = server;
        this.url = url;
        this.requests = requests;
    }

    public String url() {
        return url;
    }

    /** HTTP requests the plain file server has answered so far. */
    public int requests() {
        return requests.get();
    }

    /** Serves the files of {@code bareRepo} as they are, GET only (needs {@code git update-server-info}). */
    public static OddGitHosts dumbHttp(Path bareRepo) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        http.createContext("/repo.git/", exchange -> {
            requests.incrementAndGet();
            Path file = bareRepo.resolve(exchange.getRequestURI().getPath().substring("/repo.git/".length()))
                    .normalize();
            if (!exchange.getRequestMethod().equals("GET") || !file.startsWith(bareRepo) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                byte[] body = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        http.setExecutor(Executors.newCachedThreadPool());
        http.start();
        return new OddGitHosts(() -> http.stop(0), "http://127.0.0.1:" + http.getAddress().getPort() + "/repo.git",
                requests);
    }

    /** Accepts connections and closes them before answering anything. */
    public static OddGitHosts closingEarly() throws IOException {
        ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    s.getInputStream().read(new byte[256]);
                } catch (IOException e) {
                    return;
                }
            }
        }, "closing-early");
        acceptor.setDaemon(true);
        acceptor.start();
        return new OddGitHosts(socket, "http://127.0.0.1:" + socket.getLocalPort() + "/repo.git");
    }

    /** Accepts connections and never answers (a stalled host); closes them when the host is closed. */
    public static OddGitHosts silent() throws IOException {
        ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        java.util.List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    held.add(socket.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-host");
        acceptor.setDaemon(true);
        acceptor.start();
        return new OddGitHosts(() -> {
            socket.close();
            for (Socket s : held) {
                s.close();
            }
        }, "http://127.0.0.1:" + socket.getLocalPort() + "/repo.git");
    }

    /** A web site, not a git host: 200 and an HTML page for every path. */
    public static OddGitHosts webPage() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", exchange -> {
            byte[] body = "<html><body>Welcome to our site</body></html>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            exchange.close();
        });
        http.start();
        return new OddGitHosts(() -> http.stop(0), "http://127.0.0.1:" + http.getAddress().getPort() + "/repo.git");
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
