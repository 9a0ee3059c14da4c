package com.vangoframework.rhone.testing;

import com.vangoframework.rhone.db.DatabaseTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy between one node and the tests' PostgreSQL, so that a test can take the database
 * out of that node's reach (and only that node's) and give it back. {@link #cut()} closes every
 * connection through it and refuses new ones at once, as a broken network path does; nothing
 * depends on a timeout. The server behind it is never touched.
 */
public final class DatabaseProxy implements AutoCloseable {

    private static final Pattern HOST_PORT = Pattern.compile("^jdbc:postgresql://([^:/?]+)(?::(\\d+))?(/.*)$");

    private final DatabaseTarget behind;
    private final String host;
    private final int port;
    private final String rest;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean cut;
    private volatile boolean closed;

    public DatabaseProxy(DatabaseTarget behind) throws IOException {
        Matcher m = HOST_PORT.matcher(behind.jdbcUrl());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a jdbc:postgresql://host:port/... URL: " + behind.jdbcUrl());
        }
        this.behind = behind;
        this.host = m.group(1);
        this.port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
        this.rest = m.group(3);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "database-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The same database, reached through this proxy. */
    public DatabaseTarget target() {
        return new DatabaseTarget("jdbc:postgresql://127.0.0.1:" + server.getLocalPort() + rest, behind.user(),
                behind.password());
    }

    /** The database is out of reach: open connections break, new ones are refused. */
    public void cut() {
        cut = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    /** Connections refused while cut, so far. */
    public int refused() {
        return refused.get();
    }

    /** The database answers again (through new connections). */
    public void restore() {
        cut = false;
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            try {
                Socket upstream = connectUpstream();
                open.add(client);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Every address of the host in turn ("localhost" may be ::1 and 127.0.0.1; the server may listen on one). */
    private Socket connectUpstream() throws IOException {
        IOException last = null;
        for (InetAddress address : InetAddress.getAllByName(host)) {
            try {
                return new Socket(address, port);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last == null ? new IOException("no address for " + host) : last;
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while (!cut && (n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: so does the other
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "database-proxy-pump");
        t.setDaemon(true);
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
}
