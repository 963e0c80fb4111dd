package io.ironbell.launcher.archive;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where the continuous archive keeps its objects: base backups under {@code base/ID/} and WAL
 * segments under {@code wal/}. A key is a relative, slash-separated name; {@link #put} is
 * all-or-nothing (a reader never sees half an object) and overwrites.
 */
public interface ArchiveStore extends AutoCloseable {

    /** Stores {@code file}'s content under {@code key}, durably, before it returns. */
    void put(String key, Path file) throws IOException;

    /** Writes the object {@code key} to {@code file}; an {@link java.nio.file.NoSuchFileException} when there is none. */
    void get(String key, Path file) throws IOException;

    /** Every key that starts with {@code prefix}, in name order. */
    List<String> list(String prefix) throws IOException;

    /** Removes {@code key}; nothing happens when it is not there. */
    void delete(String key) throws IOException;

    /** The target as the operator configured it, without secrets, for log lines. */
    String describe();

    @Override
    void close();

    /**
     * The store that {@code archive.target} names: {@code s3://bucket/prefix} (with the
     * {@code archive.s3.*} settings), or a directory ({@code file:///path} or a plain path,
     * relative to {@code home}).
     */
    static ArchiveStore open(String target, Map<String, String> settings, Path home) throws IOException {
        if (target.startsWith("s3://")) {
            return S3Store.open(URI.create(target), settings);
        }
        Path dir = target.startsWith("file:") ? Path.of(URI.create(target)) : home.resolve(target);
        return DirectoryStore.open(dir);
    }
}
