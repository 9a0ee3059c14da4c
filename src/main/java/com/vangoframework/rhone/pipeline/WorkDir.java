package com.vangoframework.rhone.pipeline;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jgit.util.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build's work directory, {@code <work root>/deployment-<id>-<random>}, held while the build
 * runs: its {@code rhone.lock} file carries an exclusive lock from just after the directory is
 * made until it has been removed. The kernel drops a process's locks when the process ends, however
 * it ends (kill -9 included), so "the lock can be taken" means "no live process builds here", for
 * every rhone node on this machine that shares the work root, whatever its node id (a restarted
 * node has a new one). {@link WorkDirSweeper} removes the directories whose lock it can take.
 */
public final class WorkDir implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkDir.class);

    /** What a build's directory is called: {@code Files.createTempDirectory} adds a random unsigned number. */
    static final Pattern NAME = Pattern.compile("deployment-[0-9]+-[0-9]+");
    static final String LOCK_FILE = "rhone.lock";

    /**
     * The directories held in this JVM (by builds, and by a sweeper removing one). A lock on a file
     * belongs to the whole process (POSIX record locks): a second channel in this JVM cannot test
     * it (OverlappingFileLockException), and closing that channel would drop the holder's lock for
     * every other process. So nothing here opens the lock file of a directory listed in this set;
     * two nodes in one JVM (tests) see each other's builds through it, other processes through the
     * lock. A directory is listed before its lock file exists and unlisted after it is gone; by its
     * file key (device and inode), so two spellings of one work root (a link to it) are one, and
     * counted, since a removed directory's inode may come back as a new one's before it is unlisted.
     */
    private static final Map<Object, Integer> HELD = new HashMap<>();

    private final Path dir;
    private final Object key;
    private final FileChannel lock; // null: no lock of ours (the file system refused one, or a leftover had none)

    private WorkDir(Path dir, Object key, FileChannel lock) {
        this.dir = dir;
        this.key = key;
        this.lock = lock;
    }

    /** A new, private (mode 700), locked directory for deployment {@code deploymentId} under {@code root}. */
    public static WorkDir claim(Path root, long deploymentId) throws IOException {
        Path absoluteRoot = root.toAbsolutePath().normalize();
        Files.createDirectories(absoluteRoot);
        Path dir;
        Object key;
        synchronized (HELD) {
            dir = Files.createTempDirectory(absoluteRoot, "deployment-" + deploymentId + "-");
            key = keyOf(dir, Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
            HELD.merge(key, 1, Integer::sum);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            new WorkDir(dir, key, null).close();
            throw e;
        }
        try {
            if (channel.tryLock() == null) {
                LOG.warn("The lock of the new work directory {} is held by another process", dir);
            }
        } catch (IOException e) {
            // A file system without locks (ENOLCK): the build goes on. Sweepers meet the same
            // refusal on this file system and leave such directories alone.
            LOG.warn("Could not lock the work directory {}; rhone's sweeper will not remove it if a build "
                    + "leaves it behind", dir, e);
        }
        return new WorkDir(dir, key, channel);
    }

    /**
     * A directory named like a build's, taken over for removal when no live build holds it; empty
     * when one does, or when it has no lock file and changed less than {@code grace} before
     * {@code now} (a build of another process may be between making it and locking it).
     *
     * @param dir an absolute path to a directory (not a link) in the work root, {@code attrs} its own
     * @throws IOException when it cannot be told (the lock file cannot be read or locked)
     */
    static Optional<WorkDir> takeOver(Path dir, BasicFileAttributes attrs, Duration grace, Instant now)
            throws IOException {
        Object key = keyOf(dir, attrs);
        synchronized (HELD) {
            if (HELD.containsKey(key)) {
                return Optional.empty();
            }
            Path lockFile = dir.resolve(LOCK_FILE);
            BasicFileAttributes lockAttrs;
            try {
                lockAttrs = Files.readAttributes(lockFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                lockAttrs = null;
            }
            if (lockAttrs == null || !lockAttrs.isRegularFile()) {
                // No lock of ours: a directory from before rhone locked them, a build killed between
                // making and locking it, or a lock file replaced by something else (never followed).
                if (changedWithin(dir, grace, now)) {
                    return Optional.empty();
                }
                HELD.merge(key, 1, Integer::sum);
                return Optional.of(new WorkDir(dir, key, null));
            }
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock taken;
            try {
                taken = channel.tryLock();
            } catch (IOException | OverlappingFileLockException e) {
                channel.close();
                throw e instanceof IOException io ? io : new IOException("its lock is held in this JVM", e);
            }
            if (taken == null) {
                channel.close(); // a build of another process holds it
                return Optional.empty();
            }
            HELD.merge(key, 1, Integer::sum);
            return Optional.of(new WorkDir(dir, key, channel));
        }
    }

    private static Object keyOf(Path dir, BasicFileAttributes attrs) {
        return attrs.fileKey() != null ? attrs.fileKey() : dir; // Linux always has one
    }

    private static boolean changedWithin(Path dir, Duration grace, Instant now) throws IOException {
        Instant changed = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
        Duration age = Duration.between(changed, now);
        return !age.isNegative() && age.compareTo(grace) < 0;
    }

    public Path path() {
        return dir;
    }

    /** Removes the directory (links in it are removed, never followed), then lets go of its lock. */
    @Override
    public void close() {
        try {
            deleteRecursively(dir);
        } finally {
            if (lock != null) {
                try {
                    lock.close();
                } catch (IOException e) {
                    LOG.warn("Could not close the lock of the work directory {}", dir, e);
                }
            }
            synchronized (HELD) {
                HELD.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
            }
        }
    }

    /**
     * Symbolic links in a checkout are removed, never followed out of it. A file that cannot be
     * removed does not stop the rest from going (IGNORE_ERRORS); what is left is reported once.
     */
    static void deleteRecursively(Path dir) {
        try {
            FileUtils.delete(dir.toFile(), FileUtils.RECURSIVE | FileUtils.SKIP_MISSING | FileUtils.IGNORE_ERRORS);
        } catch (IOException e) {
            LOG.warn("Could not remove the work directory {}", dir, e);
        }
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            LOG.warn("The work directory {} could not be removed completely", dir);
        }
    }
}
