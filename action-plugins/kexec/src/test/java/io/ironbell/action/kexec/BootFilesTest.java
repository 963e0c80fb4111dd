package io.ironbell.action.kexec;

import static io.ironbell.action.kexec.GrubConfigTest.DEBIAN_UUID;
import static io.ironbell.action.kexec.GrubConfigTest.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.testing.TestActionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding the kernel and initrd in the layouts installed systems have, on directories standing in
 * for the mounted partition: a root file system, a separate /boot, RHEL's BLS entries, symbolic
 * links that must not lead off the partition.
 */
class BootFilesTest {

    static final String DEBIAN = "6.1.0-18-amd64";

    @TempDir
    Path root;

    private static TestActionContext ctx(String... kv) {
        Map<String, String> env = new HashMap<>(Map.of("BLOCK_DEVICE", "/dev/sda2", "FS_TYPE", "ext4"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return new TestActionContext("quay.io/tinkerbell-actions/kexec:v1.0.0", env);
    }

    private Path write(String path, String content) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, content);
    }

    @Test
    void aRootFileSystemWithDebiansGrubCfg() throws Exception {
        write("boot/grub/grub.cfg", fixture("debian-12.grub.cfg"));
        Path kernel = write("boot/vmlinuz-" + DEBIAN, "kernel");
        Path initrd = write("boot/initrd.img-" + DEBIAN, "initrd");
        BootFiles.Boot boot = BootFiles.choose(ctx(), root);
        assertEquals(kernel, boot.kernel());
        assertEquals("/boot/vmlinuz-" + DEBIAN, boot.name());
        assertEquals(List.of(initrd), boot.initrds());
        assertEquals("root=UUID=" + DEBIAN_UUID + " ro quiet", boot.cmdline());
        assertEquals("'Debian GNU/Linux' in boot/grub/grub.cfg, set default=\"0\"", boot.source());

        assertEquals("console=ttyS0 root=/dev/sda2", BootFiles.choose(ctx("CMD_LINE", "console=ttyS0 root=/dev/sda2"), root).cmdline(),
                "CMD_LINE replaces the entry's arguments");
        // Debian's /vmlinuz link, and a GRUB device in front of a path
        Files.createSymbolicLink(root.resolve("vmlinuz"), Path.of("boot/vmlinuz-" + DEBIAN));
        assertEquals(kernel, BootFiles.choose(ctx("KERNEL_PATH", "/vmlinuz"), root).kernel());
        assertEquals(kernel, BootFiles.file(root, "(hd0,gpt2)/boot/vmlinuz-" + DEBIAN, "x"));
        assertEquals(kernel, BootFiles.file(root, "($root)/boot/vmlinuz-" + DEBIAN, "x"));
        assertEquals(kernel, BootFiles.file(root, "${root}/boot/vmlinuz-" + DEBIAN, "x"));
    }

    @Test
    void aSeparateBootPartition() throws Exception {
        write("grub/grub.cfg", fixture("debian-12-separate-boot.grub.cfg"));
        Path kernel = write("vmlinuz-" + DEBIAN, "kernel");
        Path initrd = write("initrd.img-" + DEBIAN, "initrd");
        BootFiles.Boot boot = BootFiles.choose(ctx(), root);
        assertEquals(kernel, boot.kernel());
        assertEquals(List.of(initrd), boot.initrds());
        assertTrue(boot.source().contains("in grub/grub.cfg"), boot.source());
        // an operator who thinks of the files as /boot/...: the partition is /boot itself
        BootFiles.Boot given = BootFiles.choose(ctx("KERNEL_PATH", "/boot/vmlinuz-" + DEBIAN, "INITRD_PATH", "/boot/initrd.img-" + DEBIAN), root);
        assertEquals(kernel, given.kernel());
        assertEquals(List.of(initrd), given.initrds());
        assertEquals("", given.cmdline());
        assertEquals("KERNEL_PATH", given.source());
        // a root file system's grub.cfg copied onto a /boot partition: /boot dropped from its paths
        Files.writeString(root.resolve("grub/grub.cfg"), fixture("debian-12.grub.cfg"));
        assertEquals(kernel, BootFiles.choose(ctx(), root).kernel());
    }

    @Test
    void centosOnItsBootPartitionWithSavedEntryInGrubenv() throws Exception {
        write("grub2/grub.cfg", fixture("centos-7-efi.grub.cfg"));
        // grubenv as grub2-editenv writes it: a header, the variables, # padding to 1024 bytes
        String env = "# GRUB Environment Block\nsaved_entry=CentOS Linux (3.10.0-1127.el7.x86_64) 7 (Core)\n";
        write("grub2/grubenv", env + "#".repeat(1024 - env.length()));
        write("vmlinuz-3.10.0-1160.el7.x86_64", "new");
        Path older = write("vmlinuz-3.10.0-1127.el7.x86_64", "old");
        Path initrd = write("initramfs-3.10.0-1127.el7.x86_64.img", "initrd");
        BootFiles.Boot boot = BootFiles.choose(ctx(), root);
        assertEquals(older, boot.kernel());
        assertEquals(List.of(initrd), boot.initrds());
        assertTrue(boot.cmdline().startsWith("root=/dev/mapper/centos-root ro crashkernel=auto") && boot.cmdline().endsWith("LANG=en_US.UTF-8"),
                boot.cmdline());
    }

    @Test
    void rockysBootLoaderSpecificationEntries() throws Exception {
        write("boot/grub2/grub.cfg", fixture("rocky-8-bls.grub.cfg"));
        String machine = "2f4e8a6c0b1d4e3f9a8b7c6d5e4f3a2b";
        for (String v : List.of("4.18.0-513.5.1.el8_9.x86_64", "4.18.0-477.10.1.el8_8.x86_64")) {
            write("boot/loader/entries/" + machine + "-" + v + ".conf", """
                    title Rocky Linux (%1$s) 8
                    version %1$s
                    linux /vmlinuz-%1$s
                    initrd /initramfs-%1$s.img $tuned_initrd
                    options $kernelopts $tuned_params
                    id rocky-20231115000000-%1$s
                    grub_users $grub_users
                    grub_arg --unrestricted
                    grub_class rocky
                    """.formatted(v));
            write("boot/vmlinuz-" + v, v);
            write("boot/initramfs-" + v + ".img", v);
        }
        write("boot/loader/entries/" + machine + "-0-rescue.conf", """
                title Rocky Linux (0-rescue-%1$s) 8
                version 0-rescue-%1$s
                linux /vmlinuz-0-rescue-%1$s
                initrd /initramfs-0-rescue-%1$s.img
                options $kernelopts
                """.formatted(machine));

        BootFiles.Boot newest = BootFiles.choose(ctx(), root);
        assertEquals(root.resolve("boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64"), newest.kernel(), "no saved_entry: the newest version first");
        assertEquals(List.of(root.resolve("boot/initramfs-4.18.0-513.5.1.el8_9.x86_64.img")), newest.initrds());
        assertEquals("root=/dev/mapper/rl-root ro crashkernel=auto resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet",
                newest.cmdline(), "the file's fallback kernelopts");

        write("boot/grub2/grubenv", "# GRUB Environment Block\nsaved_entry=" + machine + "-4.18.0-477.10.1.el8_8.x86_64\n"
                + "kernelopts=root=/dev/mapper/rl-root ro console=ttyS0,115200n8\nboot_success=0\n");
        BootFiles.Boot saved = BootFiles.choose(ctx(), root);
        assertEquals(root.resolve("boot/vmlinuz-4.18.0-477.10.1.el8_8.x86_64"), saved.kernel());
        assertEquals("root=/dev/mapper/rl-root ro console=ttyS0,115200n8", saved.cmdline(), "grubenv's kernelopts");
        assertTrue(BootFiles.compareVersions("4.18.0-513.5.1.el8_9", "4.18.0-80.el8") > 0);
        assertTrue(BootFiles.compareVersions("0-rescue-abc", "4.18.0-80.el8") < 0);
    }

    @Test
    void linksAndDotDotsStayOnThePartition() throws Exception {
        Path kernel = write("boot/vmlinuz-" + DEBIAN, "kernel");
        Files.createSymbolicLink(root.resolve("vmlinuz"), Path.of("/boot/vmlinuz-" + DEBIAN));
        assertEquals(kernel, BootFiles.file(root, "/vmlinuz", "KERNEL_PATH"), "an absolute link is followed from the partition's root");

        assertTrue(Files.isRegularFile(Path.of("/etc/passwd")));
        Files.createSymbolicLink(root.resolve("boot/absolute"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(root.resolve("boot/relative"), Path.of("../../../../../../../../etc/passwd"));
        for (String link : List.of("/boot/absolute", "/boot/relative")) {
            ActionException e = assertThrows(ActionException.class, () -> BootFiles.file(root, link, "KERNEL_PATH"));
            assertEquals(Reason.TARGET_FAILED, e.reason());
            assertEquals("KERNEL_PATH: " + link + " is not a file on the partition (nor /" + link.substring(6) + ")", e.getMessage());
        }
        ActionException up = assertThrows(ActionException.class, () -> BootFiles.file(root, "/boot/../../etc/passwd", "INITRD_PATH"));
        assertEquals(Reason.INVALID_INPUT, up.reason());
        assertEquals("INITRD_PATH: /boot/../../etc/passwd leads out of the partition", up.getMessage());
        Files.createSymbolicLink(root.resolve("loop"), Path.of("loop"));
        assertEquals(Reason.TARGET_FAILED, assertThrows(ActionException.class, () -> BootFiles.file(root, "/loop", "KERNEL_PATH")).reason());
    }

    @Test
    void aMissingGrubCfgDefaultOrKernelIsSaidClearly() throws Exception {
        ActionException none = assertThrows(ActionException.class, () -> BootFiles.choose(ctx(), root));
        assertEquals(Reason.INVALID_INPUT, none.reason());
        assertEquals("KERNEL_PATH is not set and /dev/sda2 has no grub.cfg to take the default entry from (looked for boot/grub/grub.cfg,"
                + " grub/grub.cfg, boot/grub2/grub.cfg, grub2/grub.cfg); set KERNEL_PATH, or GRUBCFG_PATH to where grub.cfg is", none.getMessage());

        write("boot/grub/grub.cfg", fixture("debian-12.grub.cfg").replace("set default=\"0\"", "set default=\"7\""));
        ActionException seven = assertThrows(ActionException.class, () -> BootFiles.choose(ctx(), root));
        assertEquals(Reason.INVALID_INPUT, seven.reason());
        assertTrue(seven.getMessage().startsWith("boot/grub/grub.cfg: the default entry '7' (set default=\"7\") names no menu entry; entries: [0 'Debian"),
                seven.getMessage());

        write("boot/grub/grub.cfg", fixture("debian-12.grub.cfg"));
        ActionException kernel = assertThrows(ActionException.class, () -> BootFiles.choose(ctx(), root));
        assertEquals(Reason.TARGET_FAILED, kernel.reason());
        assertEquals("boot/grub/grub.cfg (entry 'Debian GNU/Linux'): /boot/vmlinuz-" + DEBIAN + " is not a file on the partition (nor /vmlinuz-"
                + DEBIAN + ")", kernel.getMessage());

        ActionException elsewhere = assertThrows(ActionException.class, () -> BootFiles.choose(ctx("GRUBCFG_PATH", "EFI/debian/grub.cfg"), root));
        assertTrue(elsewhere.getMessage().contains("(looked for EFI/debian/grub.cfg)"), elsewhere.getMessage());
    }
}
