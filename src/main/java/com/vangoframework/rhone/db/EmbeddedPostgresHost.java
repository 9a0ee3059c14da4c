package com.vangoframework.rhone.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a real PostgreSQL from the embedded binaries with its data under {@code <dataDir>/postgres},
 * kept across restarts, and shares it between the service and the CLI commands.
 *
 * <p>Whoever starts the database publishes its port and pid in {@code <dataDir>/embedded-postgres.properties}.
 * A CLI command finding a live owner connects to that database instead of starting a second
 * postmaster on the same files. The server waits for a command's short-lived database to stop and
 * then starts its own, so it never depends on a process that is about to exit. All of this is
 * decided under an OS file lock, so two processes starting together cannot both start a postmaster.
 */
public final class EmbeddedPostgresHost implements AutoCloseable {

    public enum Role { SERVER, COMMAND }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresHost.class);
    private static final Duration WAIT_FOR_COMMAND = Duration.ofSeconds(60);
    static final String ADDRESS_FILE = "embedded-postgres.properties";

    private final Path addressFile;
    private final DatabaseTarget target;
    private final EmbeddedPostgres owned;

    private EmbeddedPostgresHost(Path addressFile, DatabaseTarget target, EmbeddedPostgres owned) {
        this.addressFile = addressFile;
        this.target = target;
        this.owned = owned;
    }

    public static EmbeddedPostgresHost open(Path dataDir, Role role) {
        try {
            Files.createDirectories(dataDir);
            long deadline = System.nanoTime() + WAIT_FOR_COMMAND.toNanos();
            while (true) {
                Optional<EmbeddedPostgresHost> host = tryOpen(dataDir, role);
                if (host.isPresent()) {
                    return host.get();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("a rhone command has held the embedded database in "
                            + dataDir + " for over " + WAIT_FOR_COMMAND.toSeconds() + " s; stop it and start again");
                }
                Thread.sleep(200);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedded database", e);
        }
    }

    /** Empty means: a command owns the database right now and we are the server; try again shortly. */
    private static Optional<EmbeddedPostgresHost> tryOpen(Path dataDir, Role role) throws IOException {
        Path addressFile = dataDir.resolve(ADDRESS_FILE);
        try (FileChannel channel = FileChannel.open(dataDir.resolve("embedded-postgres.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            Optional<Published> running = Published.read(addressFile).filter(Published::isAlive);
            if (running.isPresent()) {
                Published p = running.get();
                if (role == Role.COMMAND) {
                    LOG.info("Using the embedded PostgreSQL of process {} on port {}", p.pid, p.port);
                    return Optional.of(new EmbeddedPostgresHost(addressFile, p.target(), null));
                }
                if (p.role == Role.SERVER) {
                    throw new IllegalStateException("another rhone server (pid " + p.pid
                            + ") already runs the embedded database in " + dataDir
                            + "; stop it, or set DATABASE_URL to a shared PostgreSQL to run several nodes");
                }
                return Optional.empty();
            }
            Path pgData = dataDir.resolve("postgres");
            stopOrphanedPostmaster(pgData);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    // The server stops PostgreSQL itself, after the build queue has handed its work
                    // back; zonky's own hook would race that and stop the database first.
                    .setRegisterShutdownHook(role == Role.COMMAND)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    // zonky starts postgres with -F (no fsync) and synchronous_commit=off, fine for
                    // throwaway test databases; this one holds the durable queue, so turn both back on.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            Published published = new Published(ProcessHandle.current().pid(), pg.getPort(), role);
            published.write(addressFile);
            LOG.info("Started the embedded PostgreSQL on 127.0.0.1:{} with data in {}", pg.getPort(), pgData);
            return Optional.of(new EmbeddedPostgresHost(addressFile, published.target(), pg));
        }
    }

    /**
     * A process killed with SIGKILL leaves its postmaster running. Nobody else can own it (the
     * address file's owner is dead), so stop it before starting a fresh one on the same files.
     */
    private static void stopOrphanedPostmaster(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String firstLine = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
        if (!firstLine.matches("\\d+")) {
            return;
        }
        Optional<ProcessHandle> postmaster = ProcessHandle.of(Long.parseLong(firstLine));
        if (postmaster.isEmpty() || !postmaster.get().isAlive()) {
            return;
        }
        LOG.warn("Stopping the embedded PostgreSQL (pid {}) left running by a process that died", firstLine);
        postmaster.get().destroy(); // SIGTERM: PostgreSQL's smart shutdown
        try {
            postmaster.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an orphaned postmaster", e);
        } catch (Exception e) {
            throw new IOException("could not stop the orphaned postmaster " + firstLine + " in " + pgData, e);
        }
    }

    public DatabaseTarget target() {
        return target;
    }

    public boolean ownsDatabase() {
        return owned != null;
    }

    @Override
    public void close() {
        if (owned == null) {
            return;
        }
        try {
            Files.deleteIfExists(addressFile);
            owned.close();
        } catch (IOException e) {
            LOG.warn("Could not stop the embedded PostgreSQL cleanly", e);
        }
    }

    private record Published(long pid, int port, Role role) {

        static Optional<Published> read(Path file) throws IOException {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                props.load(in);
            }
            try {
                return Optional.of(new Published(Long.parseLong(props.getProperty("pid")),
                        Integer.parseInt(props.getProperty("port")), Role.valueOf(props.getProperty("role"))));
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

        boolean isAlive() {
            boolean processAlive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return processAlive && acceptsConnections();
        }

        private boolean acceptsConnections() {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        DatabaseTarget target() {
            return new DatabaseTarget("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
        }
    }
}
