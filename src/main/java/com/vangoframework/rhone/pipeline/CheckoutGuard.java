package com.vangoframework.rhone.pipeline;

import com.vangoframework.rhone.deployments.BuildFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * What a commit may put on this builder's disk, decided from the fetched objects before the
 * working tree is written: at most so many files and bytes, and no symbolic link that resolves
 * outside the checkout (absolute targets, {@code ..} climbing out, or a chain through other links
 * of the same tree). After the checkout, {@link #checkWorkingTree} walks the files as written,
 * without following links, and checks every link again against the real file system.
 *
 * <p>A link that stays inside the tree (a {@code Dockerfile} pointing at {@code docker/prod}, a
 * directory link to a sibling directory) is fine: BuildKit resolves links inside its own context.
 */
public final class CheckoutGuard {

    /** Linux resolves at most 40 links in one path (ELOOP); a longer chain is refused, not followed. */
    static final int MAX_HOPS = 40;
    /** Linux's PATH_MAX: a longer target cannot be a link the kernel would follow. */
    static final int MAX_TARGET_BYTES = 4095;

    /** The caps on one checkout, with the setting each one comes from (named in the failure). */
    public record Limits(long maxBytes, long maxFiles) {
        public static final Limits DEFAULT = new Limits(2L * 1024 * 1024 * 1024, 200_000);

        public Limits {
            if (maxBytes < 1 || maxFiles < 1) {
                throw new IllegalArgumentException("checkout limits must be positive");
            }
        }
    }

    /** What the tree holds: files (blobs and links, not submodules), their bytes, and its links. */
    public record Summary(long files, long bytes, int symlinks) {
    }

    private CheckoutGuard() {
    }

    /**
     * Walks {@code tree} from the fetched objects: sums each file's size (object headers only, no
     * content is inflated except a link's target) and checks every link. Nothing is written.
     */
    public static Summary checkTree(ObjectReader reader, RevTree tree, String sha, Limits limits)
            throws BuildFailure, IOException {
        Map<String, String> links = new LinkedHashMap<>();
        long files = 0;
        long bytes = 0;
        try (TreeWalk walk = new TreeWalk(reader)) {
            walk.addTree(tree);
            walk.setRecursive(true);
            while (walk.next()) {
                FileMode mode = walk.getFileMode(0);
                if (mode == FileMode.GITLINK) {
                    continue; // a submodule: JGit writes an empty directory, nothing is fetched
                }
                if (++files > limits.maxFiles()) {
                    throw new BuildFailure("the repository at " + sha.substring(0, 12) + " holds more than "
                            + count(limits.maxFiles()) + " files, over this builder's checkout limit of "
                            + count(limits.maxFiles()) + " files (RHONE_CHECKOUT_MAX_FILES)");
                }
                ObjectId id = walk.getObjectId(0);
                long size = reader.getObjectSize(id, Constants.OBJ_BLOB);
                bytes += size;
                if (mode == FileMode.SYMLINK) {
                    links.put(walk.getPathString(), target(reader, walk.getPathString(), id, size));
                }
            }
        }
        if (bytes > limits.maxBytes()) {
            throw new BuildFailure("the repository at " + sha.substring(0, 12) + " holds " + size(bytes) + " in "
                    + count(files) + (files == 1 ? " file" : " files") + ", over this builder's checkout limit of " + size(limits.maxBytes())
                    + " (RHONE_CHECKOUT_MAX_BYTES)");
        }
        for (Map.Entry<String, String> link : links.entrySet()) {
            checkLink(link.getKey(), link.getValue(), links);
        }
        return new Summary(files, bytes, links.size());
    }

    private static String target(ObjectReader reader, String path, ObjectId id, long size)
            throws BuildFailure, IOException {
        if (size > MAX_TARGET_BYTES) {
            throw new BuildFailure(printable(path) + " is a symlink with a target of " + size
                    + " bytes, longer than any path this builder follows");
        }
        String target = new String(reader.open(id, Constants.OBJ_BLOB).getCachedBytes(MAX_TARGET_BYTES + 1),
                StandardCharsets.UTF_8);
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
            throw new BuildFailure(printable(path) + " is a symlink whose target is not a path");
        }
        return target;
    }

    /** Fails when the link at {@code path} (tree-relative) resolves outside the tree. */
    private static void checkLink(String path, String target, Map<String, String> links) throws BuildFailure {
        List<String> parent = parentOf(split(path));
        if (resolve(parent, target, links, new int[] {0}) == null) {
            throw new BuildFailure(printable(path) + " is a symlink to " + printable(target)
                    + ", outside the repository");
        }
    }

    /**
     * The tree-relative components {@code target} names when read from directory {@code from},
     * following the tree's own links on the way as the kernel would; null when it leaves the tree.
     */
    private static List<String> resolve(List<String> from, String target, Map<String, String> links, int[] hops)
            throws BuildFailure {
        if (++hops[0] > MAX_HOPS) {
            throw new BuildFailure("a symlink chain in the repository is more than " + MAX_HOPS
                    + " links deep (through " + printable(target) + ")");
        }
        if (target.startsWith("/")) {
            return null; // absolute: the checkout's own path is not known to the repository
        }
        List<String> at = new ArrayList<>(from);
        for (String part : target.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (at.isEmpty()) {
                    return null;
                }
                at.remove(at.size() - 1);
                continue;
            }
            at.add(part);
            String next = links.get(String.join("/", at));
            if (next != null) {
                at = resolve(parentOf(at), next, links, hops);
                if (at == null) {
                    return null;
                }
            }
        }
        return at;
    }

    /**
     * Walks the checked-out files without following links (the repository's own {@code .git}
     * directory, written by JGit, is skipped) and checks each link against the real file system:
     * its target, resolved with every link on the way, must be inside {@code root}.
     */
    public static int checkWorkingTree(Path root) throws BuildFailure, IOException {
        Path realRoot = root.toRealPath();
        Path gitDir = root.resolve(".git");
        List<Path> links = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.equals(gitDir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isSymbolicLink()) {
                    links.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path link : links) {
            Path target = Files.readSymbolicLink(link);
            if (!inside(realRoot, root, link, target)) {
                throw new BuildFailure(printable(root.relativize(link).toString()) + " is a symlink to "
                        + printable(target.toString()) + ", outside the repository");
            }
        }
        return links.size();
    }

    private static boolean inside(Path realRoot, Path root, Path link, Path target) throws IOException {
        if (target.isAbsolute()) {
            return false;
        }
        Path resolved = link.getParent().resolve(target);
        try {
            // Follows links to find where the target is (metadata only; no content is read).
            return resolved.toRealPath().startsWith(realRoot);
        } catch (NoSuchFileException e) {
            // Dangling: inside only if even the written path stays inside.
            return resolved.normalize().startsWith(root.normalize());
        } catch (java.nio.file.FileSystemException e) {
            return false; // a loop, or a file used as a directory: refuse rather than guess
        }
    }

    /** {@code path} as a regular file that is not a link (links are never followed for Rhone's own reads). */
    public static boolean isPlainFile(Path path) {
        return Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS);
    }

    private static List<String> split(String path) {
        return List.of(path.split("/"));
    }

    private static List<String> parentOf(List<String> parts) {
        return new ArrayList<>(parts.subList(0, parts.size() - 1));
    }

    /** A name or target from the repository, on one line: control characters escaped, past 200 characters cut. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < text.length() && out.length() < 200; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? String.format(Locale.ROOT, "\\u%04x", (int) c) : c);
        }
        return i < text.length() ? out + "…" : out.toString();
    }

    static String size(long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (unit == 0) {
            return bytes + " bytes";
        }
        String number = value == Math.rint(value) ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%.1f", value);
        return number + " " + units[unit];
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
