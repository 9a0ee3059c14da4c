package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.db.DatabaseTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a PostgreSQL server that can stop forwarding, so a service behind it
 * sees a database that stopped answering (as under SIGSTOP: connections are accepted, bytes sent
 * get no reply) while the shared test server goes on serving every other test. {@link #resume()}
 * delivers everything held back; connections that the service gave up on meanwhile are gone.
 */
public final class StallingProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private boolean paused; // guarded by gate
    private volatile boolean closed;

    private StallingProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("stalling-proxy-accept", this::accept);
    }

    /** A proxy in front of {@code target}'s server; {@link #target(DatabaseTarget)} points through it. */
    public static StallingProxy before(DatabaseTarget target) throws IOException {
        URI uri = URI.create(target.jdbcUrl().substring("jdbc:".length()));
        return new StallingProxy(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort()));
    }

    /** The same database, reached through this proxy. */
    public DatabaseTarget target(DatabaseTarget target) {
        URI uri = URI.create(target.jdbcUrl().substring("jdbc:".length()));
        String through = "jdbc:postgresql://127.0.0.1:" + listener.getLocalPort() + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return new DatabaseTarget(through, target.user(), target.password());
    }

    /** From now on no byte passes either way, and new connections are accepted but not connected. */
    public void pause() {
        synchronized (gate) {
            paused = true;
        }
    }

    public void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void awaitOpen() throws InterruptedException {
        synchronized (gate) {
            while (paused && !closed) {
                gate.wait();
            }
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                start("stalling-proxy-connect", () -> connect(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void connect(Socket client) {
        try {
            awaitOpen();
            Socket server = new Socket();
            sockets.add(server);
            server.connect(upstream, 5_000);
            start("stalling-proxy-up", () -> pump(client, server));
            pump(server, client);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    /** Copies until either side closes, holding every chunk read while paused until resumed. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitOpen();
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // One side closed: so does the other, below.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void start(String name, Runnable work) {
        Thread t = new Thread(work, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        resume();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        sockets.forEach(StallingProxy::closeQuietly);
        for (Thread t : threads) {
            t.join(5_000);
        }
    }
}
