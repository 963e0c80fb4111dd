package io.ironbell.action.archive2disk;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * One archive extracted into a staging directory, then moved into place. Every entry stays inside
 * the staging directory: names with {@code ..} are refused, a leading {@code /} is dropped (as GNU
 * tar does), and nothing is ever written through a symbolic link, so a link followed by an entry
 * "under" it cannot reach outside. Owners, modes (setuid, setgid and sticky included) and
 * modification times are applied as the archive says; directories get theirs last, after their
 * contents.
 */
final class Extraction {

    /** What was extracted. */
    record Counts(int files, int directories, int symlinks, int hardlinks, int skipped, long bytes) {

        int entries() {
            return files + directories + symlinks + hardlinks;
        }
    }

    private record DirectoryMetadata(Path path, TarArchiveEntry entry) {
    }

    private final Path staging;
    private final List<DirectoryMetadata> directories = new ArrayList<>();
    private int files;
    private int dirs;
    private int symlinks;
    private int hardlinks;
    private int skipped;
    private long bytes;

    Extraction(Path staging) {
        this.staging = staging;
    }

    /**
     * Extracts every entry of the tar stream into the staging directory.
     *
     * @param cancelled checked between entries
     * @throws ActionException INVALID_INPUT naming an entry that would leave DEST_PATH
     */
    void extract(TarArchiveInputStream tar, java.util.function.BooleanSupplier cancelled) throws IOException, ActionException {
        byte[] buffer = new byte[1 << 16];
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            if (cancelled.getAsBoolean()) {
                throw new ActionException(Reason.CANCELLED, "archive2disk was cancelled");
            }
            Path target = confined(e.getName(), "entry");
            if (target.equals(staging)) {
                continue; // "./": DEST_PATH itself keeps what it has
            }
            requireRealParents(target, e.getName());
            if (e.isDirectory()) {
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(target);
                    Files.createDirectory(target);
                    dirs++;
                }
                directories.add(new DirectoryMetadata(target, e));
            } else if (e.isSymbolicLink()) {
                Files.deleteIfExists(target);
                Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                owner(target, e);
                time(target, e);
                symlinks++;
            } else if (e.isLink()) {
                Path existing = confined(e.getLinkName(), "hard link target of " + e.getName());
                if (!Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ActionException(Reason.UNSUPPORTED, "entry " + e.getName() + " is a hard link to " + e.getLinkName()
                            + ", which is not a file extracted before it");
                }
                Files.deleteIfExists(target);
                Files.createLink(target, existing);
                hardlinks++;
            } else if (e.isFile()) {
                Files.deleteIfExists(target);
                try (var out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    int n;
                    while ((n = tar.read(buffer)) > 0) {
                        out.write(buffer, 0, n);
                        bytes += n;
                    }
                }
                owner(target, e);
                mode(target, e);
                time(target, e);
                files++;
            } else {
                skipped++; // devices and fifos: the installed OS's devtmpfs makes its own
            }
        }
    }

    /**
     * Applies the directories' owners, modes and times, deepest first, at their final place under
     * {@code dest}: after the move, since moving a directory updates its time.
     */
    void finishDirectories(Path dest) throws IOException {
        for (int i = directories.size() - 1; i >= 0; i--) {
            DirectoryMetadata d = directories.get(i);
            Path p = dest.resolve(staging.relativize(d.path()).toString());
            owner(p, d.entry());
            mode(p, d.entry());
            time(p, d.entry());
        }
    }

    Counts counts() {
        return new Counts(files, dirs, symlinks, hardlinks, skipped, bytes);
    }

    /**
     * Moves everything from the staging directory into {@code dest}: new names are renamed in
     * whole, an existing directory is merged, an existing file or link replaced.
     */
    static void moveInto(Path staging, Path dest) throws IOException {
        try (var children = Files.list(staging)) {
            for (Path child : children.toList()) {
                Path target = dest.resolve(child.getFileName().toString());
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    moveInto(child, target);
                    copyMetadata(child, target);
                    Files.delete(child);
                } else {
                    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                        deleteTree(target);
                    }
                    Files.move(child, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
    }

    private static void copyMetadata(Path from, Path to) throws IOException {
        Files.setAttribute(to, "unix:uid", Files.getAttribute(from, "unix:uid", LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(to, "unix:gid", Files.getAttribute(from, "unix:gid", LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(to, "unix:mode", Files.getAttribute(from, "unix:mode", LinkOption.NOFOLLOW_LINKS));
        Files.setLastModifiedTime(to, Files.getLastModifiedTime(from, LinkOption.NOFOLLOW_LINKS));
    }

    /** Removes a directory tree without following links. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException ignored) {
                    // cannot happen without a concurrent writer; leave it
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The entry's place in the staging directory; a name that would leave it is refused. */
    private Path confined(String name, String what) throws ActionException {
        String n = name;
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        for (String segment : n.split("/")) {
            if (segment.equals("..")) {
                throw new ActionException(Reason.INVALID_INPUT, "archive " + what + " '" + name + "' leads out of DEST_PATH ('..'); nothing was installed");
            }
        }
        Path p = staging.resolve(n).normalize();
        if (!p.startsWith(staging)) {
            throw new ActionException(Reason.INVALID_INPUT, "archive " + what + " '" + name + "' leads out of DEST_PATH; nothing was installed");
        }
        return p;
    }

    /**
     * Every directory between the staging directory and the entry must be a real directory: an
     * archive that puts a symbolic link at {@code a} and then a file at {@code a/x} is refused, so
     * nothing is written where the link points. Missing parents are created.
     */
    private void requireRealParents(Path target, String name) throws IOException, ActionException {
        Path parent = target.getParent();
        List<Path> chain = new ArrayList<>();
        for (Path p = parent; p != null && !p.equals(staging); p = p.getParent()) {
            chain.add(0, p);
        }
        for (Path p : chain) {
            if (Files.isSymbolicLink(p)) {
                throw new ActionException(Reason.INVALID_INPUT, "archive entry '" + name + "' goes through the symbolic link "
                        + staging.relativize(p) + "; refused, as it could write outside DEST_PATH; nothing was installed");
            }
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(p);
            } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new ActionException(Reason.UNSUPPORTED, "archive entry '" + name + "' is under " + staging.relativize(p)
                        + ", which the archive made a file");
            }
        }
    }

    private static void owner(Path p, TarArchiveEntry e) throws IOException {
        Files.setAttribute(p, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
    }

    /** The whole mode, setuid, setgid and sticky included (after chown, which clears setuid). */
    private static void mode(Path p, TarArchiveEntry e) throws IOException {
        Files.setAttribute(p, "unix:mode", e.getMode() & 07777);
    }

    private static void time(Path p, TarArchiveEntry e) throws IOException {
        FileTime t = FileTime.from(e.getLastModifiedDate().toInstant());
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, null, null);
        } catch (IOException | UnsupportedOperationException ex) {
            if (!Files.isSymbolicLink(p)) {
                throw ex instanceof IOException io ? io : new IOException(ex);
            }
            // a link's own time cannot be set everywhere; its target's is what matters
        }
    }

    /** Reads what remains of a stream, so that a digest over it is complete. */
    static void drain(InputStream in) throws IOException {
        byte[] b = new byte[1 << 16];
        while (in.read(b) >= 0) {
            // the tar's end blocks and padding
        }
    }
}
