package io.ironbell.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** The archives {@code ironbell assemble} writes: an edition as a tarball, and plugins appended to an initramfs. */
final class Tarball {

    /** Where the in-memory OS's worker finds vendors' plugins (build.sh copies the distribution's worker/ to /opt/ironbell). */
    static final String OSIE_DEPLOY = "opt/ironbell/worker/deploy/";

    private Tarball() {
    }

    /**
     * {@code DIR} as {@code FILE.tar.gz} with one top-level directory named like DIR, modes kept
     * (bin/ironbell stays executable), and a file linked more than once (bundle/ and system/ of the
     * full distribution) stored once, its other names as hard links.
     */
    static void write(Path dir, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
             Stream<Path> walk = Files.walk(dir)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            String top = dir.getFileName().toString();
            Map<Object, String> stored = new HashMap<>();
            for (Path p : walk.sorted().toList()) {
                String name = top + (p.equals(dir) ? "" : "/" + dir.relativize(p).toString().replace('\\', '/'));
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && (Integer) Files.getAttribute(p, "unix:nlink") > 1) {
                    Object inode = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
                    String first = stored.putIfAbsent(inode, name);
                    if (first != null) {
                        TarArchiveEntry link = new TarArchiveEntry(name, TarConstants.LF_LINK);
                        link.setLinkName(first);
                        link.setMode(mode(p));
                        tar.putArchiveEntry(link);
                        tar.closeArchiveEntry();
                        continue;
                    }
                }
                // from the name, not the file: an entry made from a file carries its creation time as a
                // LIBARCHIVE.creationtime header, which GNU tar warns about once per entry
                TarArchiveEntry e = new TarArchiveEntry(Files.isDirectory(p) ? name + "/" : name);
                e.setMode(mode(p));
                e.setModTime(Files.getLastModifiedTime(p).toMillis());
                if (Files.isRegularFile(p)) {
                    e.setSize(Files.size(p));
                }
                tar.putArchiveEntry(e);
                if (Files.isRegularFile(p)) {
                    Files.copy(p, tar);
                }
                tar.closeArchiveEntry();
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Appends a gzipped cpio (newc) archive holding the jars under {@value #OSIE_DEPLOY}: Linux
     * unpacks concatenated initramfs archives in order, so the plugins join the OS as if built in.
     */
    static void appendPluginsToInitramfs(Path initramfs, Collection<Path> jars) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(initramfs, StandardOpenOption.APPEND), 1 << 16);
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW)) {
            String path = "";
            for (String part : OSIE_DEPLOY.split("/")) {
                path = path.isEmpty() ? part : path + "/" + part;
                CpioArchiveEntry d = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, path);
                d.setMode(CpioConstants.C_ISDIR | 0755);
                d.setNumberOfLinks(2);
                cpio.putArchiveEntry(d);
                cpio.closeArchiveEntry();
            }
            for (Path jar : jars) {
                CpioArchiveEntry f = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, OSIE_DEPLOY + jar.getFileName());
                f.setMode(CpioConstants.C_ISREG | 0644);
                f.setSize(Files.size(jar));
                f.setNumberOfLinks(1);
                cpio.putArchiveEntry(f);
                Files.copy(jar, cpio);
                cpio.closeArchiveEntry();
            }
        }
    }

    private static int mode(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        int mode = 0;
        for (PosixFilePermission perm : List.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE)) {
            mode = (mode << 1) | (perms.contains(perm) ? 1 : 0);
        }
        return (Files.isDirectory(p) ? 040000 : 0100000) | mode;
    }
}
