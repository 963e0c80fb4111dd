package io.ironbell.action.support;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A file system mounted on a fresh temporary directory for the length of a try block; closing
 * it syncs, unmounts and removes the directory (Tinkerbell's archive2disk never unmounts).
 *
 * <pre>{@code
 * try (Mount m = Mount.of("/dev/sda1", "ext4")) {
 *     Files.writeString(m.root().resolve("etc/hostname"), "node1\n");
 * }
 * }</pre>
 */
public final class Mount implements AutoCloseable {

    /** How long mount and umount may take. */
    public static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

    private final String device;
    private final Path root;
    private boolean closed;

    private Mount(String device, Path root) {
        this.device = device;
        this.root = root;
    }

    /**
     * Mounts a device.
     *
     * @param device  a block device or partition (or an image file, mounted through a loop device)
     * @param fsType  the file system type (ext4, vfat, xfs, ...)
     * @param options mount options such as {@code ro}, or none
     * @throws ActionException INVALID_INPUT for a malformed type, TARGET_FAILED when it does not mount
     */
    public static Mount of(String device, String fsType, String... options) throws ActionException, InterruptedException {
        if (!fsType.matches("[a-z0-9]{2,12}")) {
            throw new ActionException(Reason.INVALID_INPUT, "FS_TYPE must name a file system type such as ext4 or vfat, was '" + fsType + "'");
        }
        if (!Files.exists(Path.of(device))) {
            throw new ActionException(Reason.TARGET_FAILED, device + " does not exist");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("ironbell-mount");
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot make a mount point: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", fsType));
        if (options.length > 0) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(device);
        cmd.add(dir.toString());
        try {
            Tools.run(cmd, "mounting " + device + " as " + fsType, TOOL_TIMEOUT, Reason.TARGET_FAILED);
        } catch (ActionException | InterruptedException e) {
            deleteQuietly(dir);
            throw e;
        }
        return new Mount(device, dir);
    }

    /** The directory the file system is mounted on. */
    public Path root() {
        return root;
    }

    /**
     * Unmounts (which writes everything back) and removes the mount point.
     *
     * @throws ActionException TARGET_FAILED when the unmount fails: what was written may not be on the disk
     */
    @Override
    public void close() throws ActionException, InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        Tools.run(List.of("umount", root.toString()), "unmounting " + device, TOOL_TIMEOUT, Reason.TARGET_FAILED);
        deleteQuietly(root);
    }

    private static void deleteQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temporary directory left behind (a busy mount) is harmless
        }
    }
}
