package com.vangoframework.rhone.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code <dataDir>/embedded-postgres.properties} publishes: which rhone process runs the
 * embedded PostgreSQL, in which role, on which port.
 */
record EmbeddedAddress(long pid, int port, EmbeddedPostgresHost.Role role) {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedAddress.class);

    static Optional<EmbeddedAddress> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        try {
            return Optional.of(new EmbeddedAddress(Long.parseLong(props.getProperty("pid")),
                    Integer.parseInt(props.getProperty("port")),
                    EmbeddedPostgresHost.Role.valueOf(props.getProperty("role"))));
        } catch (RuntimeException e) {
            LOG.warn("Ignoring an unreadable {}", file, e);
            return Optional.empty();
        }
    }

    void write(Path file) throws IOException {
        Properties props = new Properties();
        props.setProperty("pid", Long.toString(pid));
        props.setProperty("port", Integer.toString(port));
        props.setProperty("role", role.name());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            props.store(out, "the rhone process that runs the embedded PostgreSQL");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    boolean ownerAlive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    boolean acceptsConnections() {
        return acceptsConnections(port);
    }

    static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    DatabaseTarget target(String password) {
        return new DatabaseTarget("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", password);
    }
}
