package com.vangoframework.rhone.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a real server (the tests' PostgreSQL, the local registry), so that a test
 * or a benchmark can take that server away from the clients that go through it, in the two ways a
 * server goes away; the server itself is never touched and goes on serving everyone else.
 *
 * <ul>
 *   <li>{@link #cut()}: a broken network path or a stopped server. Every connection through it is
 *       closed and new ones are refused at once, until {@link #restore()}. Nothing depends on a
 *       timeout.</li>
 *   <li>{@link #pause()}: a server that stopped answering, as under SIGSTOP. Connections are
 *       accepted but no byte passes either way; {@link #resume()} delivers everything held back
 *       (connections the client gave up on meanwhile are gone).</li>
 * </ul>
 */
public final class TcpProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private final Object gate = new Object();
    private boolean paused; // guarded by gate
    private volatile boolean cut;
    private volatile boolean closed;

    public TcpProxy(String host, int port) throws IOException {
        this.upstream = new InetSocketAddress(host, port);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("tcp-proxy-accept", this::accept);
    }

    /** The loopback port clients connect to instead of the server's. */
    public int port() {
        return listener.getLocalPort();
    }

    /** The server is out of reach: open connections break, new ones are refused. */
    public void cut() {
        cut = true;
        open.forEach(this::closeQuietly);
    }

    /** Connections refused while cut, so far. */
    public int refused() {
        return refused.get();
    }

    /** The server answers again (through new connections). */
    public void restore() {
        cut = false;
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
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (cut) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            open.add(client);
            start("tcp-proxy-connect", () -> connect(client));
        }
    }

    private void connect(Socket client) {
        try {
            awaitOpen();
            Socket server = new Socket();
            open.add(server);
            server.connect(upstream, 5_000);
            start("tcp-proxy-up", () -> pump(client, server));
            pump(server, client);
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    /** Copies until either side closes (or the path is cut), holding every chunk read while paused. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while (!cut && (n = in.read(buffer)) >= 0) {
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

    /** A thread for one side of one connection; it leaves the list when done (a soak opens thousands). */
    private void start(String name, Runnable work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(this::closeQuietly);
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
