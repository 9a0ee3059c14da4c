package com.vangoframework.rhone.bench;

import com.vangoframework.rhone.pipeline.CheckoutGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.util.FileUtils;

/**
 * What the checkout's containment costs (run by ops/bench/checkout; prints figures, asserts
 * nothing about time). A repository of {@code files} files in 100 directories, 2% of them
 * symbolic links inside the tree (a chain through a linked directory among them), is fetched
 * from a file:// URL into a fresh directory each round, the way GitCheckout fetches one commit;
 * each round times the fetch, the check of the tree from the fetched objects, the checkout
 * (reset --hard) and the walk of the written tree, so the two checks read against the work they
 * guard.
 */
public final class CheckoutBench {

    public static void main(String[] args) throws Exception {
        int files = Integer.parseInt(System.getProperty("files", "10000"));
        int rounds = Integer.parseInt(System.getProperty("rounds", "15"));
        Path root = Files.createTempDirectory("checkout-bench");
        try {
            Path source = root.resolve("source");
            ObjectId head = makeRepository(source, files);
            System.out.println("== checkout of one commit: " + files + " entries, " + rounds + " rounds (first 2 not counted) ==");
            List<Double> fetch = new ArrayList<>();
            List<Double> tree = new ArrayList<>();
            List<Double> reset = new ArrayList<>();
            List<Double> walk = new ArrayList<>();
            CheckoutGuard.Summary summary = null;
            int links = 0;
            for (int i = 0; i < rounds; i++) {
                Path dir = root.resolve("round-" + i);
                try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("rhone").call()) {
                    long t0 = System.nanoTime();
                    git.fetch().setRemote(source.toUri().toString())
                            .setRefSpecs(new RefSpec(head.name() + ":refs/heads/rhone")).call();
                    long t1 = System.nanoTime();
                    try (RevWalk rw = new RevWalk(git.getRepository())) {
                        RevCommit commit = rw.parseCommit(head);
                        summary = CheckoutGuard.checkTree(rw.getObjectReader(), commit.getTree(), head.name(),
                                CheckoutGuard.Limits.DEFAULT);
                    }
                    long t2 = System.nanoTime();
                    git.reset().setMode(ResetCommand.ResetType.HARD).setRef(head.name()).call();
                    long t3 = System.nanoTime();
                    links = CheckoutGuard.checkWorkingTree(dir);
                    long t4 = System.nanoTime();
                    if (i >= 2) {
                        fetch.add((t1 - t0) / 1e6);
                        tree.add((t2 - t1) / 1e6);
                        reset.add((t3 - t2) / 1e6);
                        walk.add((t4 - t3) / 1e6);
                    }
                }
                FileUtils.delete(dir.toFile(), FileUtils.RECURSIVE);
            }
            System.out.printf("tree: %d files, %d bytes, %d links; links checked in the written tree: %d%n",
                    summary.files(), summary.bytes(), summary.symlinks(), links);
            print("fetch (file://)", fetch);
            print("check of the tree from objects", tree);
            print("checkout (reset --hard)", reset);
            print("walk of the written tree", walk);
            double checks = median(tree) + median(walk);
            double all = median(fetch) + median(tree) + median(reset) + median(walk);
            System.out.printf("the two checks: %.1f ms of %.1f ms (%.1f%%)%n", checks, all, 100 * checks / all);
        } finally {
            FileUtils.delete(root.toFile(), FileUtils.RECURSIVE | FileUtils.RETRY);
        }
        System.exit(0);
    }

    /** {@code files} entries: regular files of 200-2,000 bytes, every 50th a link inside the tree. */
    private static ObjectId makeRepository(Path dir, int files) throws Exception {
        Random random = new Random(12);
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call()) {
            Files.createDirectories(dir.resolve("d00"));
            Files.writeString(dir.resolve("d00/target.txt"), "the target\n");
            Files.createSymbolicLink(dir.resolve("shared"), Path.of("d00")); // a linked directory
            int written = 2;
            for (int i = 0; written < files; i++) {
                Path sub = Files.createDirectories(dir.resolve(String.format("d%02d", i % 100)));
                Path file = sub.resolve("f" + i + ".txt");
                if (i % 50 == 49) {
                    // relative links: up to the root, through the linked directory, to a file
                    Files.createSymbolicLink(file, Path.of("../shared/target.txt"));
                } else {
                    byte[] body = new byte[200 + random.nextInt(1800)];
                    for (int b = 0; b < body.length; b++) {
                        body[b] = (byte) ('a' + random.nextInt(26));
                    }
                    Files.write(file, body);
                }
                written++;
            }
            git.add().addFilepattern(".").call();
            return git.commit().setMessage("bench").setSign(false).call().getId();
        }
    }

    private static void print(String what, List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        System.out.printf("%-32s median %7.1f ms   p90 %7.1f ms   min %7.1f ms%n", what, median(s),
                s.get((int) Math.min(s.size() - 1, Math.ceil(s.size() * 0.9) - 1)), s.get(0));
    }

    private static double median(List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
