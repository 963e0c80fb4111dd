package io.ironbell.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the server runs and reads its settings from must be the server's alone: whoever may write
 * to {@code bin/}, {@code lib/}, {@code bundle/}, {@code conf/} or {@code deploy/} runs code as the
 * server's user (root, on a provisioning server). The server refuses to start when one of them, or
 * a file in it, is writable by group or others, or owned by a user other than the server's or root.
 *
 * <p>{@code deploy/*.cfg} files for the components that hold secrets and file roots are not applied
 * at all (FileInstall's filter): those settings live in {@code conf/ironbell.properties} only.
 */
final class FileGuard {

    /** PIDs whose configuration names secrets (tokens, passwords) or what the server serves or writes (directories). */
    static final List<String> PROTECTED_PIDS = List.of("io.ironbell.api", "io.ironbell.storage", "io.ironbell.artifacts",
            "io.ironbell.backup", "io.ironbell.worker", "io.ironbell.tftp");

    /** FileInstall's file filter: everything but the protected PIDs' configurations (also factory ones, PID-NAME.cfg). */
    static final String DEPLOY_FILTER = "^(?!(" + String.join("|", PROTECTED_PIDS).replace(".", "\\.") + ")(-[^/]*)?\\.(cfg|config)$).*";

    private FileGuard() {
    }

    /**
     * The problems with these directories and their files: writable by others, or owned by another
     * user than {@code user} or root. Missing paths are no problem.
     */
    static List<String> problems(String user, Path... roots) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(root, 2)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isSymbolicLink()) {
                        continue;
                    }
                    Set<PosixFilePermission> perms = a.permissions();
                    if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                        out.add(p + " is writable by " + (perms.contains(PosixFilePermission.OTHERS_WRITE) ? "everyone" : "its group")
                                + " (chmod go-w " + p + ")");
                    }
                    String owner = a.owner().getName();
                    if (!owner.equals(user) && !owner.equals("root")) {
                        out.add(p + " is owned by " + owner + ", not by " + user + " or root (chown " + user + " " + p + ")");
                    }
                }
            }
        }
        return out;
    }

    /**
     * Refuses what {@link #problems} finds in the distribution's code and settings and in
     * {@code home}'s (the server's, or the worker's) bundles and deploy directory.
     */
    static void check(IronbellHome distribution, IronbellHome home) throws IOException, SettingsException {
        List<String> unsafe = problems(System.getProperty("user.name"), distribution.root().resolve("bin"),
                distribution.root().resolve("lib"), distribution.root().resolve("conf"), home.bundles(), home.deploy());
        if (!unsafe.isEmpty()) {
            throw new SettingsException("refusing to start: whoever may write these runs code as this server's user: "
                    + String.join("; ", unsafe));
        }
    }

    /** The files in {@code deploy} that {@link #DEPLOY_FILTER} keeps FileInstall from applying. */
    static List<String> ignoredConfigurations(Path deploy) throws IOException {
        if (!Files.isDirectory(deploy)) {
            return List.of();
        }
        Pattern kept = Pattern.compile(DEPLOY_FILTER);
        try (Stream<Path> files = Files.list(deploy)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !kept.matcher(n).matches()).sorted().toList();
        }
    }
}
