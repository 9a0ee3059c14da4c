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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
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
 * A CLI command finding a live server connects to that database instead of starting a second
 * postmaster on the same files. Anyone finding a live <em>command</em> waits for its short-lived
 * database to stop and then starts its own, so nobody depends on a process that is about to exit.
 * Starting, publishing, stopping and unpublishing all happen under an OS file lock, so two
 * processes can never both start (or one start while the other stops) a postmaster.
 *
 * <p>initdb trusts every local connection; on first start the {@code postgres} role gets a random
 * password (kept in {@code <dataDir>/postgres.password}, mode 600) and {@code pg_hba.conf} is
 * rewritten to demand it, so other users of the machine cannot walk into the database.
 */
public final class EmbeddedPostgresHost implements AutoCloseable {

    public enum Role { SERVER, COMMAND }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresHost.class);
    private static final Duration WAIT_FOR_COMMAND = Duration.ofSeconds(60);
    static final String ADDRESS_FILE = "embedded-postgres.properties";

    static final String PASSWORD_FILE = "postgres.password";
    private static final String HBA_MARKER = "# rhone: passwords required";

    private final Path dataDir;
    private final DatabaseTarget target;
    private final EmbeddedPostgres owned;

    private EmbeddedPostgresHost(Path dataDir, DatabaseTarget target, EmbeddedPostgres owned) {
        this.dataDir = dataDir;
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
                    throw new IllegalStateException("the embedded database in " + dataDir + " stayed busy (held by "
                            + "another rhone command, or not answering) for " + WAIT_FOR_COMMAND.toSeconds()
                            + " s; stop the other rhone process and try again");
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

    /** Empty means: the database is busy (a command owns it, or its server does not answer yet); try again. */
    private static Optional<EmbeddedPostgresHost> tryOpen(Path dataDir, Role role) throws IOException {
        Path addressFile = dataDir.resolve(ADDRESS_FILE);
        try (FileChannel channel = lockChannel(dataDir); FileLock ignored = channel.lock()) {
            Optional<Published> running = Published.read(addressFile).filter(Published::ownerAlive);
            if (running.isPresent()) {
                Published p = running.get();
                if (role == Role.SERVER && p.role == Role.SERVER) {
                    throw new IllegalStateException("another rhone server (pid " + p.pid
                            + ") already runs the embedded database in " + dataDir
                            + "; stop it, or set DATABASE_URL to a shared PostgreSQL to run several nodes");
                }
                if (p.role == Role.COMMAND || !p.acceptsConnections()) {
                    return Optional.empty();
                }
                LOG.info("Using the embedded PostgreSQL of process {} on port {}", p.pid, p.port);
                return Optional.of(new EmbeddedPostgresHost(dataDir, p.target(readPassword(dataDir)), null));
            }
            Path pgData = dataDir.resolve("postgres");
            // Nobody alive owns the files: a postmaster still running on them was orphaned.
            stopOrphanedPostmaster(pgData);
            String password = passwordFor(dataDir);
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
                    .setConnectConfig("password", password)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            Published published = new Published(ProcessHandle.current().pid(), pg.getPort(), role);
            DatabaseTarget target = published.target(password);
            requirePasswords(pgData, target);
            published.write(addressFile);
            LOG.info("Started the embedded PostgreSQL on 127.0.0.1:{} with data in {}", pg.getPort(), pgData);
            return Optional.of(new EmbeddedPostgresHost(dataDir, target, pg));
        }
    }

    private static FileChannel lockChannel(Path dataDir) throws IOException {
        return FileChannel.open(dataDir.resolve("embedded-postgres.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
    }

    /** First start after initdb: give the superuser its password, then stop trusting anyone. */
    private static void requirePasswords(Path pgData, DatabaseTarget target) throws IOException {
        Path hba = pgData.resolve("pg_hba.conf");
        if (Files.readString(hba).startsWith(HBA_MARKER)) {
            return;
        }
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             Statement st = c.createStatement()) {
            // The password is base64url (no quotes possible), generated by us.
            st.execute("ALTER ROLE postgres PASSWORD '" + target.password() + "'");
            Files.writeString(hba, HBA_MARKER + "\n"
                    + "local all all scram-sha-256\n"
                    + "host  all all 127.0.0.1/32 scram-sha-256\n"
                    + "host  all all ::1/128 scram-sha-256\n");
            st.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IOException("could not set the embedded database's password", e);
        }
    }

    private static String passwordFor(Path dataDir) throws IOException {
        Path file = dataDir.resolve(PASSWORD_FILE);
        if (Files.exists(file)) {
            return readPassword(dataDir);
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))), password);
        return password;
    }

    private static String readPassword(Path dataDir) throws IOException {
        Path file = dataDir.resolve(PASSWORD_FILE);
        if (!Files.exists(file)) {
            throw new IOException(file + " is missing: the embedded database cannot be opened without it");
        }
        return Files.readString(file).trim();
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

    /** Stops the database if this process started it, then unpublishes it, both under the lock. */
    @Override
    public void close() {
        if (owned == null) {
            return;
        }
        try (FileChannel channel = lockChannel(dataDir); FileLock ignored = channel.lock()) {
            owned.close();
            Files.deleteIfExists(dataDir.resolve(ADDRESS_FILE));
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

        boolean ownerAlive() {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        boolean acceptsConnections() {
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
}
