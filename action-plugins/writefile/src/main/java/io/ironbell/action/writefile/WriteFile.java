package io.ironbell.action.writefile;

import io.ironbell.action.support.Mount;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * Tinkerbell's writefile, natively: mounts {@code DEST_DISK} ({@code FS_TYPE}), writes
 * {@code CONTENTS} to {@code DEST_PATH} with {@code MODE}, {@code UID} and {@code GID}, creating
 * missing directories with {@code DIRMODE} and the same owner, and unmounts. Better than the
 * original: the path is confined to the file system (no {@code ..}, no symbolic link on the way,
 * which would resolve against the worker's own root), the file is replaced atomically and flushed
 * before the unmount, and every input is checked before anything is mounted.
 */
@Component(service = ActionPlugin.class)
@ActionType("writefile")
@ActionImages({"quay.io/tinkerbell-actions/writefile", "quay.io/tinkerbell/actions/writefile"})
public final class WriteFile implements ActionPlugin {

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String disk = ctx.requireEnv("DEST_DISK");
        String fsType = ctx.requireEnv("FS_TYPE");
        String destPath = ctx.requireEnv("DEST_PATH");
        String contents = ctx.environment().getOrDefault("CONTENTS", "");
        Set<PosixFilePermission> mode = mode(ctx, "MODE", "0644");
        Set<PosixFilePermission> dirMode = mode(ctx, "DIRMODE", "0755");
        int uid = id(ctx, "UID");
        int gid = id(ctx, "GID");
        List<String> parts = segments(destPath);
        try (Mount m = Mount.of(disk, fsType)) {
            Path file = place(m.root(), parts, dirMode, uid, gid);
            Path tmp = file.resolveSibling("." + file.getFileName() + ".ironbell-tmp");
            try {
                try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    out.write(java.nio.ByteBuffer.wrap(contents.getBytes(StandardCharsets.UTF_8)));
                    out.force(true);
                }
                Files.setPosixFilePermissions(tmp, mode);
                own(tmp, uid, gid);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new ActionException(Reason.TARGET_FAILED, "writing " + destPath + " on " + disk + " failed: " + e.getMessage());
            }
        }
        String msg = "wrote " + contents.getBytes(StandardCharsets.UTF_8).length + " bytes to " + destPath + " on " + disk
                + " (mode " + octal(mode) + ", owner " + uid + ":" + gid + ")";
        ctx.log(msg);
        return ActionResult.success(msg);
    }

    /** The path's segments, refusing anything that could leave the file system. */
    static List<String> segments(String destPath) throws ActionException {
        if (!destPath.startsWith("/")) {
            throw new ActionException(Reason.INVALID_INPUT, "DEST_PATH must be absolute in the target file system, was '" + destPath + "'");
        }
        List<String> out = new ArrayList<>();
        for (String s : destPath.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..") || s.indexOf('\0') >= 0) {
                throw new ActionException(Reason.INVALID_INPUT, "DEST_PATH may not hold '..': " + destPath);
            }
            out.add(s);
        }
        if (out.isEmpty()) {
            throw new ActionException(Reason.INVALID_INPUT, "DEST_PATH names no file: " + destPath);
        }
        return out;
    }

    /** Creates the missing directories (mode, owner) and returns the file's path; no link may lie on the way. */
    private static Path place(Path root, List<String> parts, Set<PosixFilePermission> dirMode, int uid, int gid) throws ActionException {
        Path p = root;
        try {
            for (int i = 0; i < parts.size(); i++) {
                p = p.resolve(parts.get(i));
                if (Files.isSymbolicLink(p)) {
                    throw new ActionException(Reason.TARGET_FAILED, "/" + String.join("/", parts.subList(0, i + 1))
                            + " is a symbolic link; writefile does not follow links out of the target file system");
                }
                if (i < parts.size() - 1) {
                    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectory(p);
                        Files.setPosixFilePermissions(p, dirMode);
                        own(p, uid, gid);
                    } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ActionException(Reason.TARGET_FAILED, "/" + String.join("/", parts.subList(0, i + 1)) + " is not a directory");
                    }
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ActionException(Reason.TARGET_FAILED, "/" + String.join("/", parts) + " is a directory");
                }
            }
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot create " + p + ": " + e.getMessage());
        }
        return p;
    }

    private static void own(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    private static Set<PosixFilePermission> mode(ActionContext ctx, String name, String fallback) throws ActionException {
        String text = ctx.env(name).orElse(fallback).trim();
        if (!text.matches("0?[0-7]{3}")) {
            throw new ActionException(Reason.INVALID_INPUT, name + " must be an octal mode such as 0644, was '" + text + "'");
        }
        int bits = Integer.parseInt(text, 8);
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                out.add(order[i]);
            }
        }
        return out;
    }

    private static int id(ActionContext ctx, String name) throws ActionException {
        String text = ctx.env(name).orElse("0").trim();
        try {
            int v = Integer.parseInt(text);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ActionException(Reason.INVALID_INPUT, name + " must be a numeric id, was '" + text + "'");
    }

    /** A mode as the four octal digits people write. */
    static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", bits);
    }
}
