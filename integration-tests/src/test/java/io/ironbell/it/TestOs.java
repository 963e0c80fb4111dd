package io.ironbell.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.it.Shell.Result;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The small operating systems the VM tests boot: Debian's kernel and a busybox initramfs. */
final class TestOs {

    /** The first lines of every test OS's /init: busybox's links, /proc, /sys and /dev. */
    static final String INIT_START = """
            #!/bin/busybox sh
            /bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
            /bin/busybox --install -s
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            """;

    private TestOs() {
    }

    /** The newest kernel Debian's linux-image package installed under /boot. */
    static Path debianKernel() throws IOException {
        List<Path> kernels = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            s.forEach(kernels::add);
        }
        assertTrue(!kernels.isEmpty(), "no kernel under /boot: install linux-image-amd64 (.ci/prepare)");
        kernels.sort(null);
        return kernels.get(kernels.size() - 1);
    }

    /** The version of a /boot/vmlinuz-VERSION kernel. */
    static String version(Path kernel) {
        return kernel.getFileName().toString().substring("vmlinuz-".length());
    }

    /** A udhcpc hook that configures the lease and prints {@code MARKER lease: ADDRESS}. */
    static String dhcpScript(String marker) {
        return """
                #!/bin/sh
                [ "$1" = bound ] || exit 0
                ifconfig "$interface" "$ip" netmask "$subnet" up
                [ -n "$router" ] && route add default gw "$router"
                echo "%s lease: $ip"
                exit 0
                """.formatted(marker);
    }

    /**
     * Packs a busybox initramfs: /bin/busybox, the virtio and e1000 network drivers with their dependencies
     * from the kernel's modules under /lib/modules, and the given executables (init, scripts).
     *
     * @param init makes /init from the modules' file names, in loading order
     */
    static void initramfs(Path root, String kernelVersion, java.util.function.Function<List<String>, String> init,
                          Map<String, String> executables, Path out) throws Exception {
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("lib/modules"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        List<String> modules = new ArrayList<>();
        for (String driver : List.of("virtio_pci", "virtio_net", "e1000")) {
            Result deps = Shell.run(List.of("modprobe", "-S", kernelVersion, "--show-depends", driver));
            assertEquals(0, deps.status(), deps.output());
            for (String line : deps.output().split("\n")) {
                if (line.startsWith("insmod ")) {
                    Path ko = Path.of(line.substring("insmod ".length()).trim());
                    String name = ko.getFileName().toString();
                    if (!modules.contains(name)) {
                        modules.add(name);
                        Files.copy(ko, root.resolve("lib/modules/" + name));
                    }
                }
            }
        }
        Map<String, String> files = new java.util.LinkedHashMap<>(executables);
        files.put("init", init.apply(modules));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = Files.writeString(root.resolve(f.getKey()), f.getValue());
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Result cpio = Shell.run(List.of("sh", "-c", "cd " + root + " && find . | cpio -o -H newc --quiet | gzip -1 > " + out));
        assertEquals(0, cpio.status(), cpio.output());
    }

    /**
     * The initramfs of the installed test OS: it takes a lease, asks the metadata service its
     * kernel command line names ({@code metadata=URL}) for its hostname, prints
     * {@code IRONBELL-INSTALLED-OS hostname=NAME} and powers off.
     */
    static void installedOs(Path root, String version, Path out) throws Exception {
        initramfs(root, version, modules -> TestOs.INIT_START + """
                fail() { echo "IRONBELL-INSTALLED-OS failed: $1"; poweroff -f; }
                for m in %s; do insmod /lib/modules/$m 2>/dev/null; done
                for a in $(cat /proc/cmdline); do
                  case "$a" in metadata=*) md=${a#metadata=} ;; esac
                done
                echo "IRONBELL-INSTALLED-OS booted with metadata=$md"
                i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
                ip link set lo up; ip link set eth0 up
                udhcpc -i eth0 -n -q -t 10 -T 2 -s /udhcpc.sh || fail "no lease"
                h=$(timeout 30 wget -q -O - "$md/latest/meta-data/hostname") || fail "no hostname from $md"
                echo "IRONBELL-INSTALLED-OS hostname=$h"
                poweroff -f
                """.formatted(String.join(" ", modules)), Map.of("udhcpc.sh", dhcpScript("IRONBELL-INSTALLED-OS")), out);
    }
}
