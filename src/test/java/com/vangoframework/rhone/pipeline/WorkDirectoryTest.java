package com.vangoframework.rhone.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A build's work directory is removed afterwards, whatever the checked-out repository put in it. */
class WorkDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void aSymlinkOutOfTheCheckout_isRemoved_neverFollowed() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep.txt"), "not the build's");
        Path work = Files.createDirectories(dir.resolve("builds/deployment-1-x/src/nested"));
        Files.writeString(work.resolve("file.txt"), "checked out");
        Files.createSymbolicLink(work.resolve("escape"), outside);
        Files.createSymbolicLink(work.resolve("escape-file"), outside.resolve("keep.txt"));

        WorkDir.deleteRecursively(dir.resolve("builds/deployment-1-x"));

        assertThat(dir.resolve("builds/deployment-1-x")).doesNotExist();
        assertThat(outside.resolve("keep.txt")).hasContent("not the build's");
    }

    @Test
    void aWorkDirectoryAlreadyGone_isNotAnError() {
        WorkDir.deleteRecursively(dir.resolve("never-created"));

        assertThat(dir.resolve("never-created")).doesNotExist();
    }
}
