package com.vangoframework.rhone.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;

/** A git repository made for a test, one commit at a time. */
public final class TestRepo implements AutoCloseable {

    private final Git git;
    private final Path dir;

    public TestRepo(Path dir) throws GitAPIException {
        this.dir = dir;
        this.git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call();
    }

    /** Writes the files and commits them on the current branch; returns the commit SHA. */
    public String commit(String message, Map<String, String> files) throws IOException, GitAPIException {
        for (var e : files.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
        }
        git.add().addFilepattern(".").call();
        PersonIdent who = new PersonIdent("Ada Lovelace", "ada@example.test");
        RevCommit commit = git.commit().setMessage(message).setAuthor(who).setCommitter(who).call();
        return commit.getName();
    }

    @Override
    public void close() {
        git.close();
    }
}
