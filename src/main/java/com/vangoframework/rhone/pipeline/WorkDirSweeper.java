package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.threads.NamedThreads;
import io.dropwizard.lifecycle.Managed;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the work directories that builds left behind (a node killed with -9 never runs its
 * {@code finally}), at start and then every {@code interval}. Only entries of the work root named
 * like a build's directory ({@code deployment-<id>-<number>}) are looked at, and of those only the
 * ones no live build holds ({@link WorkDir}): several nodes may share one machine and one work
 * root, and none removes a directory another is building in. An entry with that name that is not a
 * directory (a symbolic link, a file) is removed itself; a link is never followed.
 */
public final class WorkDirSweeper implements Managed {

    private static final Logger LOG = LoggerFactory.getLogger(WorkDirSweeper.class);
    /** How long a directory without a lock file is given to get one (a build locks it microseconds after making it). */
    static final Duration UNLOCKED_GRACE = Duration.ofMinutes(1);
    private static final int NAMES_LOGGED = 20;

    private final Path root;
    private final Duration interval;
    private final Duration grace;
    private final Clock clock;
    private ScheduledExecutorService timer;

    public WorkDirSweeper(Path root, Duration interval, Clock clock) {
        this(root, interval, UNLOCKED_GRACE, clock);
    }

    WorkDirSweeper(Path root, Duration interval, Duration grace, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.interval = interval;
        this.grace = grace;
        this.clock = clock;
    }

    @Override
    public void start() {
        if (timer != null) {
            return;
        }
        timer = NamedThreads.scheduled("rhone-work-dir-sweeper");
        timer.scheduleWithFixedDelay(this::sweep, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        NamedThreads.stopNow(timer, Duration.ofSeconds(5)); // a pass under way ends at its next entry
        timer = null;
    }

    /** One pass; returns the names of the entries it removed, and logs them. */
    public List<String> sweep() {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return removed; // no build has run here yet
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root,
                entry -> WorkDir.NAME.matcher(entry.getFileName().toString()).matches())) {
            for (Path entry : entries) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                try {
                    if (removeIfLeftOver(entry)) {
                        removed.add(entry.getFileName().toString());
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Could not tell whether {} is left over from a build; it stays", entry, e);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.warn("Could not list the work directory {} to remove what builds left behind", root, e);
        }
        if (!removed.isEmpty()) {
            List<String> shown = removed.subList(0, Math.min(removed.size(), NAMES_LOGGED));
            LOG.info("Removed {} work {} left behind by builds that no longer run, from {}: {}{}", removed.size(),
                    removed.size() == 1 ? "directory" : "directories", root, String.join(", ", shown),
                    removed.size() > shown.size() ? " and " + (removed.size() - shown.size()) + " more" : "");
        }
        return removed;
    }

    private boolean removeIfLeftOver(Path entry) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isDirectory()) {
            // No build makes anything but a directory under this name: the link itself goes.
            Files.deleteIfExists(entry);
            return true;
        }
        Optional<WorkDir> left = WorkDir.takeOver(entry, attrs, grace, clock.instant());
        if (left.isEmpty()) {
            return false;
        }
        left.get().close();
        return !Files.exists(entry, LinkOption.NOFOLLOW_LINKS);
    }
}
