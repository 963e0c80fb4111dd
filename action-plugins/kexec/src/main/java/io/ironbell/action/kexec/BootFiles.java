package io.ironbell.action.kexec;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds what to boot on a mounted partition: {@code KERNEL_PATH}/{@code INITRD_PATH}/{@code CMD_LINE},
 * or the default entry of its grub.cfg (with grubenv beside it, and the Boot Loader Specification
 * entries of Fedora and RHEL when it calls {@code blscfg}). Paths are resolved as the installed OS
 * would see them, never leaving the partition.
 */
final class BootFiles {

    /** Where grub.cfg is looked for when GRUBCFG_PATH is not set: a root file system, then a /boot partition. */
    static final List<String> GRUB_CONFIGS = List.of("boot/grub/grub.cfg", "grub/grub.cfg", "boot/grub2/grub.cfg", "grub2/grub.cfg");

    private static final int MAX_LINKS = 40;

    /**
     * What to boot.
     *
     * @param kernel      the kernel on the mounted partition
     * @param name        the kernel as the configuration names it, for messages
     * @param initrds     the initrds (GRUB loads several, concatenated; usually one)
     * @param initrdNames the initrds as the configuration names them
     * @param cmdline     the kernel command line
     * @param source      where the choice came from: "KERNEL_PATH", or the entry and its grub.cfg
     */
    record Boot(Path kernel, String name, List<Path> initrds, List<String> initrdNames, String cmdline, String source) {
    }

    private BootFiles() {
    }

    /** The kernel, initrds and command line to boot from the partition mounted at {@code root}. */
    static Boot choose(ActionContext ctx, Path root) throws ActionException {
        Optional<String> kernelPath = ctx.env("KERNEL_PATH");
        if (kernelPath.isPresent()) {
            Path kernel = file(root, kernelPath.get(), "KERNEL_PATH");
            Optional<String> initrd = ctx.env("INITRD_PATH");
            List<Path> initrds = initrd.isPresent() ? List.of(file(root, initrd.get(), "INITRD_PATH")) : List.of();
            return new Boot(kernel, kernelPath.get(), initrds, initrd.map(List::of).orElse(List.of()), ctx.env("CMD_LINE").orElse(""),
                    "KERNEL_PATH");
        }
        List<String> candidates = ctx.env("GRUBCFG_PATH").map(List::of).orElse(GRUB_CONFIGS);
        Path cfg = null;
        String cfgName = null;
        for (String name : candidates) {
            Optional<Path> p = find(root, name);
            if (p.isPresent() && Files.isRegularFile(p.get(), LinkOption.NOFOLLOW_LINKS)) {
                cfg = p.get();
                cfgName = name;
                break;
            }
        }
        if (cfg == null) {
            throw new ActionException(Reason.INVALID_INPUT, "KERNEL_PATH is not set and " + ctx.env("BLOCK_DEVICE").orElse("the partition")
                    + " has no grub.cfg to take the default entry from (looked for " + String.join(", ", candidates)
                    + "); set KERNEL_PATH, or GRUBCFG_PATH to where grub.cfg is");
        }
        GrubConfig.Choice choice;
        try {
            String text = Files.readString(cfg, StandardCharsets.UTF_8);
            Optional<Path> grubenv = find(root, root.relativize(cfg.getParent()) + "/grubenv");
            Map<String, String> env = grubenv.isPresent() ? grubenv(grubenv.get()) : Map.of();
            List<GrubConfig.Entry> bls = GrubConfig.usesBls(text) ? blsEntries(root) : List.of();
            choice = GrubConfig.parse(text, env, bls).choose();
        } catch (IOException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot read " + cfgName + " on the partition: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ActionException(Reason.INVALID_INPUT, cfgName + ": " + e.getMessage());
        }
        String what = cfgName + " (entry '" + choice.entry().title() + "')";
        Path kernel = file(root, choice.kernel(), what);
        List<Path> initrds = new ArrayList<>();
        for (String initrd : choice.initrds()) {
            initrds.add(file(root, initrd, what));
        }
        String cmdline = ctx.env("CMD_LINE").orElse(commandLine(choice.args()));
        return new Boot(kernel, choice.kernel(), List.copyOf(initrds), choice.initrds(), cmdline,
                "'" + choice.entry().title() + "' in " + cfgName + ", " + choice.why());
    }

    /**
     * A file on the partition named as GRUB or the installed OS names it: a GRUB device prefix
     * ({@code (hd0,gpt2)}, {@code ($root)}) dropped, symbolic links followed inside the partition,
     * a leading /boot dropped when the partition is /boot itself (and added when a BLS entry on a
     * root file system leaves it out).
     *
     * @throws ActionException INVALID_INPUT when the path climbs out with {@code ..}, TARGET_FAILED
     *                         when no such file is there
     */
    static Path file(Path root, String path, String what) throws ActionException {
        String p = withoutDevice(path);
        if (climbsOut(p)) {
            throw new ActionException(Reason.INVALID_INPUT, what + ": " + path + " leads out of the partition");
        }
        // a separate /boot holds boot/x at x; BLS entries on a root file system name boot/x as x
        String other = p.startsWith("boot/") ? p.substring("boot/".length()) : "boot/" + p;
        for (String candidate : List.of(p, other)) {
            Optional<Path> found = find(root, candidate).filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS));
            if (found.isPresent()) {
                return found.get();
            }
        }
        throw new ActionException(Reason.TARGET_FAILED, what + ": " + path + " is not a file on the partition (nor /" + other + ")");
    }

    /** The path without a GRUB device ({@code (hd0,gpt2)/x}, {@code ($root)/x}, {@code ${root}/x}) and leading slashes. */
    static String withoutDevice(String path) {
        String p = path.trim().replaceFirst("^\\([^)]*\\)", "").replaceFirst("^\\$\\{?root\\}?(?=/)", "");
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    private static boolean climbsOut(String relative) {
        int depth = 0;
        for (String part : relative.split("/")) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return false;
    }

    /**
     * Resolves a path under {@code root} as if root were {@code /}: symbolic links, absolute or
     * relative, are followed within it ({@code ..} stops at root), so nothing outside is reached.
     */
    static Optional<Path> find(Path root, String path) {
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(path.split("/")));
        Path at = root;
        int links = 0;
        try {
            while (!todo.isEmpty()) {
                String part = todo.removeFirst();
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    at = at.equals(root) ? root : at.getParent();
                    continue;
                }
                Path next = at.resolve(part);
                if (Files.isSymbolicLink(next)) {
                    if (++links > MAX_LINKS) {
                        return Optional.empty();
                    }
                    String target = Files.readSymbolicLink(next).toString();
                    List<String> parts = Arrays.asList(target.split("/"));
                    for (int i = parts.size() - 1; i >= 0; i--) {
                        todo.addFirst(parts.get(i));
                    }
                    if (target.startsWith("/")) {
                        at = root;
                    }
                    continue;
                }
                if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.empty();
                }
                at = next;
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(at);
    }

    /** The name=value lines of a grubenv (its # padding skipped); empty when there is none. */
    static Map<String, String> grubenv(Path file) throws IOException {
        Map<String, String> env = new HashMap<>();
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return env;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    /**
     * The Boot Loader Specification entries (loader/entries/*.conf, under boot/ on a root file
     * system), newest version first as Fedora's blscfg orders them; an entry's id is its file name
     * without .conf, which is what grubenv's saved_entry holds.
     */
    static List<GrubConfig.Entry> blsEntries(Path root) throws IOException {
        Path dir = find(root, "boot/loader/entries").filter(Files::isDirectory)
                .or(() -> find(root, "loader/entries").filter(Files::isDirectory)).orElse(null);
        if (dir == null) {
            return List.of();
        }
        record Bls(String version, GrubConfig.Entry entry) {
        }
        List<Bls> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.conf")) {
            for (Path f : files) {
                String id = f.getFileName().toString().replaceFirst("\\.conf$", "");
                Map<String, String> keys = new HashMap<>();
                List<String> initrds = new ArrayList<>();
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String[] kv = line.trim().split("\\s+", 2);
                    if (kv[0].isEmpty() || kv[0].startsWith("#")) {
                        continue;
                    }
                    String value = kv.length > 1 ? kv[1] : "";
                    if (kv[0].equals("initrd")) {
                        initrds.add(value);
                    } else {
                        keys.putIfAbsent(kv[0], value);
                    }
                }
                String linux = keys.containsKey("linux") ? keys.get("linux") + " " + keys.getOrDefault("options", "") : null;
                found.add(new Bls(keys.getOrDefault("version", id),
                        new GrubConfig.Entry(keys.getOrDefault("title", id), id, linux, initrds.isEmpty() ? null : String.join(" ", initrds), null)));
            }
        }
        found.sort((a, b) -> compareVersions(b.version(), a.version()));
        return found.stream().map(Bls::entry).toList();
    }

    /** Compares versions part by part, numbers as numbers: 5.14.0-427 after 5.14.0-70. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d+") && y[i].matches("\\d+")
                    ? new BigInteger(x[i]).compareTo(new BigInteger(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** Arguments joined for the kernel; one holding a space is quoted as GRUB does ({@code k="a b"}). */
    static String commandLine(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (a.matches(".*\\s.*")) {
                int eq = a.indexOf('=');
                a = eq > 0 ? a.substring(0, eq + 1) + "\"" + a.substring(eq + 1) + "\"" : "\"" + a + "\"";
            }
            out.add(a);
        }
        return String.join(" ", out);
    }
}
