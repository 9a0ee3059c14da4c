package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.vangoframework.rhone.db.DatabaseTarget;
import com.vangoframework.rhone.deployments.BuildFailure;
import com.vangoframework.rhone.testing.TestPostgres;
import com.vangoframework.rhone.testing.TestService;
import io.dropwizard.testing.ConfigOverride;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The sweeper of leftover work directories, on the real file system: what a killed build left goes,
 * what a live build holds stays (in this JVM or, through its lock, any other process: see
 * {@code WorkDirKilledProcessTest}), and nothing odd in the work root makes it follow a link out of
 * it or stop.
 */
class WorkDirSweeperTest {

    @TempDir
    Path dir;

    private Path root() throws Exception {
        return Files.createDirectories(dir.resolve("builds"));
    }

    private WorkDirSweeper sweeper(Path root) {
        return new WorkDirSweeper(root, Duration.ofMinutes(10), Clock.systemUTC());
    }

    /** A directory as a build killed with -9 leaves it: checked-out files, a home, an unlocked lock file. */
    private static Path leftover(Path root, String name) throws Exception {
        Path work = Files.createDirectories(root.resolve(name));
        Files.writeString(Files.createDirectories(work.resolve("src/app")).resolve("main.go"), "package main\n");
        Files.createDirectories(work.resolve("home"));
        Files.writeString(work.resolve(WorkDir.LOCK_FILE), "");
        return work;
    }

    private static void makeOld(Path path) throws Exception {
        Files.setLastModifiedTime(path, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    }

    @Test
    void leftoversOfAKilledNode_areRemovedAtStart_andLoggedWithTheirNames() throws Exception {
        Path root = root();
        Path killed = leftover(root, "deployment-41-123456789");
        // From before rhone locked its work directories: no lock file at all.
        Path older = Files.createDirectories(root.resolve("deployment-42-987654321/src"));
        makeOld(older.getParent());
        Logger logger = (Logger) LoggerFactory.getLogger(WorkDirSweeper.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Level level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(logged);
        WorkDirSweeper sweeper = sweeper(root);
        try {
            sweeper.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(killed) && !Files.exists(older.getParent()));
            await().atMost(Duration.ofSeconds(5)).until(() -> !logged.list.isEmpty());
        } finally {
            sweeper.stop();
            logger.detachAppender(logged);
            logger.setLevel(level);
        }
        assertThat(logged.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
                .startsWith("Removed 2 work directories left behind by builds that no longer run, from " + root + ": ")
                .contains("deployment-41-123456789").contains("deployment-42-987654321");
    }

    @Test
    void aDirectoryHeldByABuild_isLeftAlone_andGoesWhenTheBuildEnds() throws Exception {
        Path root = root();
        Path killed = leftover(root, "deployment-1-1");
        WorkDir running = WorkDir.claim(root, 2);
        Files.writeString(Files.createDirectories(running.path().resolve("src")).resolve("Dockerfile"), "FROM x\n");
        makeOld(running.path());

        assertThat(sweeper(root).sweep()).containsExactly("deployment-1-1");

        assertThat(killed).doesNotExist();
        assertThat(running.path().resolve("src/Dockerfile")).hasContent("FROM x\n");
        assertThat(running.path().getFileName().toString()).matches(WorkDir.NAME.pattern()).startsWith("deployment-2-");
        running.close();
        assertThat(running.path()).doesNotExist();
    }

    @Test
    void anotherNodesBuildOnTheSameWorkRoot_spelledThroughALink_isLeftAlone() throws Exception {
        Path root = root();
        // Two nodes of one JVM (as the tests run them) on one work root, one of them through a link to it.
        Path sameRoot = Files.createSymbolicLink(dir.resolve("builds-link"), root);
        try (WorkDir otherNodes = WorkDir.claim(root, 3)) {
            makeOld(otherNodes.path());

            assertThat(sweeper(sameRoot).sweep()).isEmpty();
            assertThat(sweeper(root).sweep()).isEmpty();

            assertThat(otherNodes.path().resolve(WorkDir.LOCK_FILE)).exists();
        }
    }

    @Test
    void aSymlinkNamedLikeAWorkDirectory_isRemovedAsALink_itsTargetUntouched() throws Exception {
        Path root = root();
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("precious.txt"), "not rhone's");
        Files.writeString(outside.resolve(WorkDir.LOCK_FILE), ""); // an unlocked lock file, to tempt it
        makeOld(outside);
        Files.createSymbolicLink(root.resolve("deployment-9-1"), outside);
        Files.createSymbolicLink(root.resolve("deployment-9-2"), outside.resolve("precious.txt"));
        Files.createSymbolicLink(root.resolve("deployment-9-3"), dir.resolve("nowhere"));

        assertThat(sweeper(root).sweep()).containsExactlyInAnyOrder("deployment-9-1", "deployment-9-2", "deployment-9-3");

        assertThat(root).isEmptyDirectory();
        assertThat(outside.resolve("precious.txt")).hasContent("not rhone's");
        assertThat(outside.resolve(WorkDir.LOCK_FILE)).exists();
    }

    @Test
    void oddEntries_neitherStopTheSweepNorLeadItOut_andOnlyItsOwnNamesAreTouched() throws Exception {
        Path root = root();
        Path outsideFile = Files.writeString(dir.resolve("outside.txt"), "not rhone's");
        Files.writeString(root.resolve("deployment-5-5"), "a file, not a build's directory");
        Path linkedLock = Files.createDirectories(root.resolve("deployment-6-6"));
        Files.createSymbolicLink(linkedLock.resolve(WorkDir.LOCK_FILE), outsideFile);
        makeOld(linkedLock);
        Path dirLock = Files.createDirectories(root.resolve("deployment-7-7/" + WorkDir.LOCK_FILE));
        makeOld(dirLock.getParent());
        Path unreadable = leftover(root, "deployment-8-8");
        Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        List<Path> notOurs = List.of(Files.writeString(root.resolve("secret.key"), "k"),
                Files.createDirectories(root.resolve("deployment-x")), Files.createDirectories(root.resolve("deployment-1-")),
                Files.createDirectories(root.resolve("deployment-1-2-3")), Files.createDirectories(root.resolve("other")),
                Files.createSymbolicLink(root.resolve("elsewhere"), outsideFile));
        try {
            List<String> removed = sweeper(root).sweep();

            assertThat(removed).contains("deployment-5-5", "deployment-6-6", "deployment-7-7");
            assertThat(root.resolve("deployment-5-5")).doesNotExist();
            assertThat(linkedLock).doesNotExist();
            assertThat(dirLock.getParent()).doesNotExist();
            assertThat(outsideFile).hasContent("not rhone's");
            assertThat(notOurs).allMatch(p -> Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            // Root reads any directory and removes it; another user cannot, and the sweep goes on regardless.
            if (removed.contains("deployment-8-8")) {
                assertThat(unreadable).doesNotExist();
            } else {
                assertThat(unreadable).exists();
            }
        } finally {
            if (Files.exists(unreadable)) {
                Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    @Test
    void aNewDirectoryWithoutItsLockYet_isGivenTimeToGetOne() throws Exception {
        Path root = root();
        Path fresh = Files.createDirectories(root.resolve("deployment-11-11"));

        assertThat(sweeper(root).sweep()).isEmpty();
        assertThat(fresh).exists();

        Clock later = Clock.offset(Clock.systemUTC(), WorkDirSweeper.UNLOCKED_GRACE.plusSeconds(1));
        assertThat(new WorkDirSweeper(root, Duration.ofMinutes(10), later).sweep()).containsExactly("deployment-11-11");
        assertThat(fresh).doesNotExist();
    }

    @Test
    void aWorkRootThatDoesNotExistYet_isNothingToSweep() {
        assertThat(sweeper(dir.resolve("never-made")).sweep()).isEmpty();
        assertThat(dir.resolve("never-made")).doesNotExist();
    }

    @Test
    void aStartingService_removesWhatAKilledNodeLeftInItsWorkDirectory() throws Exception {
        DatabaseTarget db = TestPostgres.freshDatabase();
        Path dataDir = dir.resolve("data");
        Path root = Files.createDirectories(TestService.workDirOf(dataDir));
        Path killed = leftover(root, "deployment-77-1234");
        Path secret = Files.writeString(root.resolve("secret.key"), "stays");
        TestService service = new TestService(db, dataDir, context -> {
            throw new BuildFailure("this test builds nothing");
        }, ConfigOverride.config("builds.workerEnabled", "false")).start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(killed));
            assertThat(secret).hasContent("stays");
        } finally {
            service.stop();
        }
    }
}
