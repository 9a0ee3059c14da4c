package com.vangoframework.rhone.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server process of a data directory, as its {@code postmaster.pid} names it, and
 * what has to happen before a new one may start on the same files.
 *
 * <p>The embedded server is started through {@code pg_ctl}, which detaches it: it is never a child
 * of the JVM that started it, so it outlives a JVM killed with SIGKILL (an orphan), and nobody is
 * told when it dies. A postmaster killed with SIGKILL leaves its pid file behind and, for a moment,
 * its children still attached to its shared memory; where the machine's init does not reap
 * orphans, it also stays a zombie, which {@code kill(pid, 0)} (PostgreSQL's test of the pid file)
 * can take for a live server. Signals follow PostgreSQL's meaning: SIGTERM is a smart shutdown (it waits for every
 * session to end, which another node's pool never does), SIGINT a fast one (sessions are ended),
 * SIGQUIT an immediate one.
 */
final class Postmaster {

    private static final Logger LOG = LoggerFactory.getLogger(Postmaster.class);
    static final String PID_FILE = "postmaster.pid";
    private static final Duration FAST_SHUTDOWN_WAIT = Duration.ofSeconds(20);
    private static final Duration IMMEDIATE_SHUTDOWN_WAIT = Duration.ofSeconds(10);
    /** How far the pid file's start time may be from the process's own before the pid counts as reused. */
    private static final Duration SAME_START = Duration.ofSeconds(30);

    /** What {@code postmaster.pid} says: line 1 the pid, line 3 the start time, line 7 the shared memory key and id. */
    record PidFile(long pid, Instant started, OptionalInt sharedMemoryId) {

        static Optional<PidFile> read(Path pgData) throws IOException {
            Path file = pgData.resolve(PID_FILE);
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (java.nio.file.NoSuchFileException e) {
                return Optional.empty();
            }
            if (lines.isEmpty() || !lines.get(0).trim().matches("\\d{1,10}")) {
                return Optional.empty();
            }
            Instant started = lines.size() > 2 && lines.get(2).trim().matches("\\d{1,12}")
                    ? Instant.ofEpochSecond(Long.parseLong(lines.get(2).trim())) : Instant.EPOCH;
            OptionalInt shmId = OptionalInt.empty();
            if (lines.size() > 6) {
                String[] keyAndId = lines.get(6).trim().split("\\s+");
                if (keyAndId.length == 2 && keyAndId[1].matches("\\d{1,10}")) {
                    shmId = OptionalInt.of(Integer.parseInt(keyAndId[1]));
                }
            }
            return Optional.of(new PidFile(Long.parseLong(lines.get(0).trim()), started, shmId));
        }

        /** The process the file names, if it is alive and still that postmaster (pids are reused). */
        Optional<ProcessHandle> liveProcess() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(this::isThePostmaster);
        }

        private boolean isThePostmaster(ProcessHandle process) {
            ProcessHandle.Info info = process.info();
            boolean postgres = info.command().map(c -> Path.of(c).getFileName().toString().equals("postgres"))
                    .orElse(true);
            boolean sameStart = info.startInstant().map(s -> started.equals(Instant.EPOCH)
                    || Duration.between(s, started).abs().compareTo(SAME_START) <= 0).orElse(true);
            return postgres && sameStart;
        }
    }

    private Postmaster() {
    }

    /** The live server process of {@code pgData}, if any. */
    static Optional<ProcessHandle> running(Path pgData) throws IOException {
        return PidFile.read(pgData).flatMap(PidFile::liveProcess);
    }

    /**
     * Leaves {@code pgData} ready for a new postmaster: one still running there, which nobody owns
     * any more ({@code whose} says why), is stopped with a fast shutdown; the pid file of one that
     * is gone is removed once none of its processes holds its shared memory (PostgreSQL's own guard
     * against two servers on the same files), waiting for them at most {@code oldProcessesWait}.
     */
    static void makeRoom(Path pgData, String whose, Duration oldProcessesWait) throws IOException {
        Optional<PidFile> pidFile = PidFile.read(pgData);
        if (pidFile.isEmpty()) {
            return;
        }
        Optional<ProcessHandle> live = pidFile.get().liveProcess();
        if (live.isPresent()) {
            fastShutdown(live.get(), pgData, whose);
            // A server that stops on a signal removes its pid file; one that had to be stopped
            // immediately may not have.
            pidFile = PidFile.read(pgData);
            if (pidFile.isEmpty()) {
                return;
            }
        }
        OptionalInt shmId = pidFile.get().sharedMemoryId();
        if (shmId.isPresent()) {
            long deadline = System.nanoTime() + oldProcessesWait.toNanos();
            Optional<Boolean> inUse;
            while ((inUse = SharedMemory.inUse(shmId.getAsInt())).orElse(false) && System.nanoTime() < deadline) {
                sleep(50);
            }
            if (inUse.isEmpty()) {
                return; // no way to tell on this system: leave the file to PostgreSQL's own check
            }
            if (inUse.get()) {
                throw new IOException("processes of the PostgreSQL server that ran as pid " + pidFile.get().pid()
                        + " still hold its shared memory (segment " + shmId.getAsInt() + ") after "
                        + oldProcessesWait.toSeconds() + " s; no new server may start on the same files until they "
                        + "have ended");
            }
        }
        LOG.info("Removing the postmaster.pid left in {} by PostgreSQL process {}, which is gone", pgData,
                pidFile.get().pid());
        Files.deleteIfExists(pgData.resolve(PID_FILE));
    }

    /** SIGINT, then SIGQUIT if that is not enough; each wait is bounded. */
    private static void fastShutdown(ProcessHandle postmaster, Path pgData, String whose) throws IOException {
        LOG.warn("A PostgreSQL server (pid {}) still runs on {}, left behind by {}: stopping it with a fast shutdown, "
                + "which ends its open sessions (another node's included; they reconnect to the new server on the "
                + "same port), because a smart shutdown would wait for them forever", postmaster.pid(), pgData, whose);
        signal(postmaster, "INT");
        if (awaitExit(postmaster, FAST_SHUTDOWN_WAIT)) {
            return;
        }
        LOG.warn("The PostgreSQL server (pid {}) on {} did not stop within {} s of a fast shutdown: asking for an "
                + "immediate one", postmaster.pid(), pgData, FAST_SHUTDOWN_WAIT.toSeconds());
        signal(postmaster, "QUIT");
        if (awaitExit(postmaster, IMMEDIATE_SHUTDOWN_WAIT)) {
            return;
        }
        throw new IOException("the PostgreSQL server (pid " + postmaster.pid() + ") left running on " + pgData
                + " did not stop after a fast and an immediate shutdown: end it (kill -KILL " + postmaster.pid()
                + ") and start rhone again");
    }

    /**
     * Java can only send SIGTERM and SIGKILL, so a program sends the others: {@code kill} (procps),
     * or else PostgreSQL's own {@code pg_ctl kill}, from the server's directory (runtime images
     * without procps; pg_ctl refuses to run as root, where procps is normally installed).
     */
    private static void signal(ProcessHandle process, String signal) throws IOException {
        String pid = Long.toString(process.pid());
        List<String> command = Stream.of(Path.of("/usr/bin/kill"), Path.of("/bin/kill")).filter(Files::isExecutable)
                .findFirst().map(kill -> List.of(kill.toString(), "-" + signal, pid))
                .or(() -> process.info().command().map(c -> Path.of(c).resolveSibling("pg_ctl"))
                        .filter(Files::isExecutable).map(pgCtl -> List.of(pgCtl.toString(), "kill", signal, pid)))
                .orElseThrow(() -> new IOException("cannot send SIG" + signal + " to PostgreSQL process " + pid
                        + ": neither kill (procps) nor PostgreSQL's pg_ctl was found"));
        Process sender = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!sender.waitFor(10, TimeUnit.SECONDS)) {
                sender.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not return within 10 s");
            }
            String output = new String(sender.getInputStream().readAllBytes()).strip();
            if (sender.exitValue() != 0 && process.isAlive()) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while signalling PostgreSQL process " + pid, e);
        }
    }

    private static boolean awaitExit(ProcessHandle process, Duration atMost) throws IOException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (process.isAlive()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a PostgreSQL server to stop", e);
        }
    }

    /** System V shared memory as Linux lists it in {@code /proc/sysvipc/shm}. */
    static final class SharedMemory {

        private static final Path TABLE = Path.of("/proc/sysvipc/shm");

        private SharedMemory() {
        }

        /** Whether a process is attached to segment {@code id}; empty when this system cannot tell. */
        static Optional<Boolean> inUse(int id) {
            List<String> rows;
            try {
                rows = Files.readAllLines(TABLE);
            } catch (IOException | SecurityException e) {
                return Optional.empty();
            }
            if (rows.isEmpty()) {
                return Optional.empty();
            }
            List<String> header = List.of(rows.get(0).trim().split("\\s+"));
            int idColumn = header.indexOf("shmid");
            int attachedColumn = header.indexOf("nattch");
            if (idColumn < 0 || attachedColumn < 0) {
                return Optional.empty();
            }
            for (String row : rows.subList(1, rows.size())) {
                String[] cells = row.trim().split("\\s+");
                if (cells.length > Math.max(idColumn, attachedColumn) && cells[idColumn].equals(Integer.toString(id))) {
                    return Optional.of(!cells[attachedColumn].equals("0"));
                }
            }
            return Optional.of(false); // the segment is gone
        }
    }
}
