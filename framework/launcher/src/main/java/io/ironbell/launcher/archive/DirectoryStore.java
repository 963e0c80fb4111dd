package io.ironbell.launcher.archive;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The archive in a directory (a local disk, an NFS mount): each object a file, written to a
 * temporary name, flushed to disk and renamed into place, the directory flushed after it, so
 * that a crash leaves either the whole object or none. Directories 0700, files 0600: a base
 * backup holds everything the database does.
 */
final class DirectoryStore implements ArchiveStore {

    private final Path root;

    private DirectoryStore(Path root) {
        this.root = root;
    }

    static DirectoryStore open(Path root) throws IOException {
        Files.createDirectories(root);
        if (!Files.isWritable(root)) {
            throw new IOException("archive directory " + root + " is not writable");
        }
        return new DirectoryStore(root.toAbsolutePath().normalize());
    }

    private Path path(String key) throws IOException {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root) || key.isBlank()) {
            throw new IOException("archive key outside the archive: " + key);
        }
        return p;
    }

    @Override
    public void put(String key, Path file) throws IOException {
        Path to = path(key);
        Files.createDirectories(to.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = to.resolveSibling("." + to.getFileName() + ".tmp");
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    @Override
    public void get(String key, Path file) throws IOException {
        Path from = path(key);
        if (!Files.isRegularFile(from)) {
            throw new NoSuchFileException(root + "/" + key);
        }
        Files.copy(from, file, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String key = root.relativize(file).toString();
                if (key.startsWith(prefix) && !file.getFileName().toString().startsWith(".")) {
                    keys.add(key);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Collections.sort(keys);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        Path p = path(key);
        Files.deleteIfExists(p);
        // an emptied base backup's directory goes with its last file
        Path parent = p.getParent();
        while (parent != null && !parent.equals(root) && Files.isDirectory(parent)) {
            try (var entries = Files.list(parent)) {
                if (entries.findAny().isPresent()) {
                    break;
                }
            }
            Files.deleteIfExists(parent);
            parent = parent.getParent();
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {
    }
}
