package com.vangoframework.rhone.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *
 * <p>The port is stable ({@link EmbeddedPort}). A postmaster left running by a process that died is
 * stopped with a fast shutdown before a new one starts ({@link Postmaster}); a server whose
 * postmaster has died is started again by {@link #restart()}, which the service's
 * {@link EmbeddedPostgresSupervisor} calls.
 */
public final class EmbeddedPostgresHost implements AutoCloseable {

    public enum Role { SERVER, COMMAND }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresHost.class);
    private static final Duration WAIT_FOR_COMMAND = Duration.ofSeconds(60);
    private static final Duration FIRST_START_WAIT = Duration.ofSeconds(60);
    private static final Duration RESTART_WAIT = Duration.ofSeconds(30);
    /** How long a start waits for the processes of a killed server to let go of its shared memory. */
    private static final Duration OLD_PROCESSES_WAIT = Duration.ofSeconds(5);
    /** zonky's own lock file in the PostgreSQL data directory. */
    private static final String ZONKY_LOCK = "epg-lock";
    static final String ADDRESS_FILE = "embedded-postgres.properties";

    static final String PASSWORD_FILE = "postgres.password";
    private static final String HBA_MARKER = "# rhone: passwords required";

    private final Path dataDir;
    private final Role role;
    private final DatabaseTarget target;
    private final int port;
    /** Null when another process runs the database. Written under this object's monitor. */
    private volatile EmbeddedPostgres owned;
    private volatile ProcessHandle postmaster;
    private boolean closed;

    private EmbeddedPostgresHost(Path dataDir, Role role, DatabaseTarget target, int port, EmbeddedPostgres owned,
                                 ProcessHandle postmaster) {
        this.dataDir = dataDir;
        this.role = role;
        this.target = target;
        this.port = port;
        this.owned = owned;
        this.postmaster = postmaster;
    }

    /** On the kept port, or a free one chosen now and kept. */
    public static EmbeddedPostgresHost open(Path dataDir, Role role) {
        return open(dataDir, role, 0);
    }

    /** {@code configuredPort} 0: the port kept in the data directory, or a free one chosen now and kept. */
    public static EmbeddedPostgresHost open(Path dataDir, Role role, int configuredPort) {
        try {
            Files.createDirectories(dataDir);
            long deadline = System.nanoTime() + WAIT_FOR_COMMAND.toNanos();
            while (true) {
                Optional<EmbeddedPostgresHost> host = tryOpen(dataDir, role, configuredPort);
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
    private static Optional<EmbeddedPostgresHost> tryOpen(Path dataDir, Role role, int configuredPort)
            throws IOException {
        Path addressFile = dataDir.resolve(ADDRESS_FILE);
        try (FileChannel channel = lockChannel(dataDir); FileLock ignored = channel.lock()) {
            Optional<EmbeddedAddress> running = EmbeddedAddress.read(addressFile).filter(EmbeddedAddress::ownerAlive);
            if (running.isPresent()) {
                EmbeddedAddress p = running.get();
                if (role == Role.SERVER && p.role() == Role.SERVER) {
                    throw new IllegalStateException("another rhone server (pid " + p.pid()
                            + ") already runs the embedded database in " + dataDir
                            + "; stop it, or set DATABASE_URL to a shared PostgreSQL to run several nodes");
                }
                if (p.role() == Role.COMMAND || !p.acceptsConnections()) {
                    return Optional.empty();
                }
                LOG.info("Using the embedded PostgreSQL of process {} on port {}", p.pid(), p.port());
                return Optional.of(new EmbeddedPostgresHost(dataDir, role, p.target(readPassword(dataDir)), p.port(),
                        null, null));
            }
            Path pgData = dataDir.resolve("postgres");
            // Nobody alive owns the files: a postmaster still running on them was orphaned.
            Postmaster.makeRoom(pgData, "a rhone process that has died", OLD_PROCESSES_WAIT);
            EmbeddedPort port = EmbeddedPort.resolve(dataDir, configuredPort);
            port.requireFree(dataDir);
            String password = passwordFor(dataDir);
            EmbeddedPostgres pg = start(pgData, port.number(), password, role, FIRST_START_WAIT);
            port.keep();
            EmbeddedAddress published = new EmbeddedAddress(ProcessHandle.current().pid(), pg.getPort(), role);
            DatabaseTarget target = published.target(password);
            requirePasswords(pgData, target);
            published.write(addressFile);
            ProcessHandle postmaster = Postmaster.running(pgData).orElse(null);
            LOG.info("Started the embedded PostgreSQL on 127.0.0.1:{} (pid {}) with data in {}", pg.getPort(),
                    postmaster == null ? "unknown" : postmaster.pid(), pgData);
            return Optional.of(new EmbeddedPostgresHost(dataDir, role, target, port.number(), pg, postmaster));
        }
    }

    /** Called under the data directory's lock. */
    private static EmbeddedPostgres start(Path pgData, int port, String password, Role role, Duration wait)
            throws IOException {
        // zonky locks a file of its own in the data directory and keeps it until its close(): an
        // instance that failed to start, or one dropped after its server died, holds it for good
        // (one open file each). Our lock already guards the directory, so a fresh file will do.
        Files.deleteIfExists(pgData.resolve(ZONKY_LOCK));
        return EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPort(port)
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
                .setPGStartupWait(wait)
                .start();
    }

    /**
     * Starts the database again on the same port and files, after its postmaster has died; returns
     * the new postmaster's pid. Does nothing (and returns the pid) while the postmaster is alive.
     * Fails, changing nothing, once the host is closed or when the port is taken.
     */
    synchronized long restart() throws IOException {
        if (closed) {
            throw new IllegalStateException("the embedded PostgreSQL of " + dataDir + " is closed");
        }
        if (owned == null) {
            throw new IllegalStateException("another process runs the embedded PostgreSQL of " + dataDir);
        }
        ProcessHandle current = postmaster;
        if (current != null && current.isAlive()) {
            return current.pid();
        }
        Path pgData = dataDir.resolve("postgres");
        try (FileChannel channel = lockChannel(dataDir); FileLock ignored = channel.lock()) {
            Postmaster.makeRoom(pgData, "an earlier start of this process", OLD_PROCESSES_WAIT);
            new EmbeddedPort(dataDir.resolve(EmbeddedPort.FILE), port, true).requireFree(dataDir);
            // The previous EmbeddedPostgres is dropped, not closed: its close() would run pg_ctl
            // stop against a server that is gone (and log that as an error). See start().
            EmbeddedPostgres pg = start(pgData, port, target.password(), role, RESTART_WAIT);
            owned = pg;
            ProcessHandle restarted = Postmaster.running(pgData).orElseThrow(() -> new IOException(
                    "PostgreSQL was started on " + pgData + " but no live server process is named in its "
                            + Postmaster.PID_FILE));
            postmaster = restarted;
            return restarted.pid();
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

    public DatabaseTarget target() {
        return target;
    }

    public boolean ownsDatabase() {
        return owned != null;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The server process this host started last; empty when another process runs the database. */
    public Optional<ProcessHandle> postmaster() {
        return Optional.ofNullable(postmaster);
    }

    /** Whether something accepts TCP connections on the database's port. */
    public boolean acceptsConnections() {
        return EmbeddedAddress.acceptsConnections(port);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Stops the database if this process started it, then unpublishes it, both under the lock; a
     * restart can neither overlap this nor follow it.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
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
}
