package com.vangoframework.rhone.db;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The port of the embedded PostgreSQL: the configured one ({@code database.embeddedPort},
 * {@code RHONE_EMBEDDED_PG_PORT}), or else the one chosen (free) on the first start. Either is kept
 * in {@code <dataDir>/postgres.port} once a server has started on it, and every later start, and
 * every restart, uses it again: a second node's {@code DATABASE_URL} keeps working.
 */
record EmbeddedPort(Path file, int number, boolean stored) {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPort.class);
    static final String FILE = "postgres.port";

    /** {@code configured} 0: the kept port, or a free one. */
    static EmbeddedPort resolve(Path dataDir, int configured) throws IOException {
        Path file = dataDir.resolve(FILE);
        Optional<Integer> kept = read(file);
        if (configured > 0) {
            kept.filter(k -> k != configured).ifPresent(k -> LOG.warn("The embedded PostgreSQL moves from port {} "
                    + "(kept in {}) to {}, set by RHONE_EMBEDDED_PG_PORT: nodes connected to {} must change their "
                    + "DATABASE_URL", k, file, configured, k));
            return new EmbeddedPort(file, configured, kept.filter(k -> k == configured).isPresent());
        }
        if (kept.isPresent()) {
            return new EmbeddedPort(file, kept.get(), true);
        }
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return new EmbeddedPort(file, socket.getLocalPort(), false);
        }
    }

    private static Optional<Integer> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file).trim();
        if (!text.matches("\\d{1,5}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalStateException(file + " should hold the embedded PostgreSQL's port (1-65535), not \""
                    + (text.length() > 20 ? text.substring(0, 20) + "…" : text)
                    + "\": correct it, or delete it to have a new port chosen");
        }
        return Optional.of(Integer.parseInt(text));
    }

    /** Fails with the reason when another program listens on 127.0.0.1 at this port. */
    void requireFree(Path dataDir) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as PostgreSQL binds: a connection in TIME_WAIT is no obstacle
            probe.bind(new InetSocketAddress("127.0.0.1", number));
        } catch (BindException e) {
            String where = stored ? "kept in " + file : "set by RHONE_EMBEDDED_PG_PORT";
            throw new IllegalStateException("port " + number + " on 127.0.0.1, where the embedded PostgreSQL of "
                    + dataDir + " listens (" + where + "), is taken by another program: stop that program, or set "
                    + "RHONE_EMBEDDED_PG_PORT to a free port (nodes using the old one must then change their "
                    + "DATABASE_URL)", e);
        }
    }

    /** After a server has started on it: kept for every later start. */
    void keep() throws IOException {
        if (stored) {
            return;
        }
        Path tmp = file.resolveSibling(FILE + ".tmp");
        Files.writeString(tmp, number + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
