package io.ironbell.action.kexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * grub.cfg files in the shapes grub-mkconfig writes on Debian 12, Ubuntu 22.04 (GRUB_DEFAULT=saved),
 * CentOS 7 on UEFI (linuxefi, a separate /boot, tuned's variables) and Rocky 8 (blscfg), plus
 * hand-written ones for the corners: continuations, device prefixes, quoting.
 */
class GrubConfigTest {

    static final String DEBIAN_UUID = "3f1c7a2e-5b1d-4c0e-9a57-8d2f6e4b1a90";

    static String fixture(String name) throws IOException {
        try (InputStream in = GrubConfigTest.class.getResourceAsStream(name)) {
            assertTrue(in != null, "missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void debianBootsItsFirstEntryNotTheNextEntryBranch() throws IOException {
        GrubConfig g = GrubConfig.parse(fixture("debian-12.grub.cfg"));
        assertEquals(List.of(new GrubConfig.Default("${next_entry}", 1), new GrubConfig.Default("0", 1)), g.defaults());
        assertEquals(List.of("Debian GNU/Linux", "Advanced options for Debian GNU/Linux", "UEFI Firmware Settings"),
                g.entries().stream().map(GrubConfig.Entry::title).toList(), "functions and if blocks are no entries");
        assertEquals(4, g.entries().get(1).children().size());
        assertEquals("gnulinux-advanced-" + DEBIAN_UUID, g.entries().get(1).id());

        GrubConfig.Choice c = g.choose();
        assertEquals("Debian GNU/Linux", c.entry().title());
        assertEquals("/boot/vmlinuz-6.1.0-18-amd64", c.kernel());
        assertEquals(List.of("root=UUID=" + DEBIAN_UUID, "ro", "quiet"), c.args());
        assertEquals(List.of("/boot/initrd.img-6.1.0-18-amd64"), c.initrds());
        assertEquals("set default=\"0\"", c.why());
    }

    @Test
    void aDefaultByIndexPathTitleOrIdAndGrubRebootsNextEntry() throws IOException {
        String debian = fixture("debian-12.grub.cfg");
        // GRUB_DEFAULT="1>2": the third entry of the submenu, the older kernel
        GrubConfig.Choice path = GrubConfig.parse(debian.replace("set default=\"0\"", "set default=\"1>2\"")).choose();
        assertEquals("Debian GNU/Linux, with Linux 6.1.0-17-amd64", path.entry().title());
        assertEquals("/boot/vmlinuz-6.1.0-17-amd64", path.kernel());

        GrubConfig.Choice byIds = GrubConfig.parse(debian.replace("set default=\"0\"",
                "set default=\"gnulinux-advanced-" + DEBIAN_UUID + ">gnulinux-6.1.0-17-amd64-recovery-" + DEBIAN_UUID + "\"")).choose();
        assertEquals(List.of("root=UUID=" + DEBIAN_UUID, "ro", "single", "dis_ucode_ldr"), byIds.args());

        GrubConfig.Choice byTitle = GrubConfig.parse(debian.replace("set default=\"0\"",
                "set default=\"Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-18-amd64 (recovery mode)\"")).choose();
        assertEquals("gnulinux-6.1.0-18-amd64-recovery-" + DEBIAN_UUID, byTitle.entry().id());

        GrubConfig.Choice submenu = GrubConfig.parse(debian.replace("set default=\"0\"", "set default=1")).choose();
        assertEquals("Debian GNU/Linux, with Linux 6.1.0-18-amd64", submenu.entry().title(), "a submenu boots its first entry");

        // grub-reboot: next_entry in grubenv is honoured because the file tests for it
        GrubConfig.Choice once = GrubConfig.parse(debian, Map.of("next_entry", "1>3"), List.of()).choose();
        assertEquals("Debian GNU/Linux, with Linux 6.1.0-17-amd64 (recovery mode)", once.entry().title());
        assertEquals("grubenv's next_entry='1>3'", once.why());
    }

    @Test
    void ubuntuWithSavedEntryFromGrubenv() throws IOException {
        String ubuntu = fixture("ubuntu-22.04-saved.grub.cfg");
        String uuid = "9b0e6c1d-2f3a-4b5c-8d7e-6f5a4b3c2d1e";
        GrubConfig.Choice saved = GrubConfig.parse(ubuntu,
                Map.of("saved_entry", "Advanced options for Ubuntu>Ubuntu, with Linux 5.15.0-88-generic", "recordfail", "1"), List.of()).choose();
        assertEquals("/boot/vmlinuz-5.15.0-88-generic", saved.kernel());
        assertEquals(List.of("/boot/initrd.img-5.15.0-88-generic"), saved.initrds());
        assertEquals(List.of("root=UUID=" + uuid, "ro", "quiet", "splash"), saved.args(), "$vt_handoff is set only inside a function: nothing");
        assertTrue(saved.why().contains("${saved_entry}") && saved.why().contains("5.15.0-88-generic"), saved.why());

        // an id works as well (grub-set-default with an id)
        assertEquals("Ubuntu, with Linux 5.15.0-91-generic (recovery mode)", GrubConfig.parse(ubuntu,
                Map.of("saved_entry", "gnulinux-advanced-" + uuid + ">gnulinux-5.15.0-91-generic-recovery-" + uuid), List.of()).choose().entry().title());

        // no grubenv (a fresh image): ${saved_entry} is empty, GRUB boots entry 0
        GrubConfig.Choice fresh = GrubConfig.parse(ubuntu).choose();
        assertEquals("Ubuntu", fresh.entry().title());
        assertEquals("/boot/vmlinuz-5.15.0-91-generic", fresh.kernel());

        // a saved entry whose kernel was removed since: said clearly, with what there is
        IllegalArgumentException stale = assertThrows(IllegalArgumentException.class, () -> GrubConfig.parse(ubuntu,
                Map.of("saved_entry", "Advanced options for Ubuntu>Ubuntu, with Linux 5.15.0-60-generic"), List.of()).choose());
        assertTrue(stale.getMessage().startsWith("the default entry 'Advanced options for Ubuntu>Ubuntu, with Linux 5.15.0-60-generic'"
                + " (set default=\"${saved_entry}\""), stale.getMessage());
        assertTrue(stale.getMessage().contains("names no menu entry; entries: [0 'Ubuntu', 1 'Advanced options for Ubuntu' [0 'Ubuntu, with Linux 5.15.0-91-generic'"),
                stale.getMessage());
    }

    @Test
    void centosOnUefiWithLinuxefiAndTunedVariables() throws IOException {
        GrubConfig g = GrubConfig.parse(fixture("centos-7-efi.grub.cfg"),
                Map.of("saved_entry", "CentOS Linux (3.10.0-1127.el7.x86_64) 7 (Core)"), List.of());
        GrubConfig.Choice c = g.choose();
        assertEquals("/vmlinuz-3.10.0-1127.el7.x86_64", c.kernel(), "the separate /boot's path, from linuxefi");
        assertEquals(List.of("/initramfs-3.10.0-1127.el7.x86_64.img"), c.initrds(), "initrdefi, with the empty $tuned_initrd gone");
        assertEquals(List.of("root=/dev/mapper/centos-root", "ro", "crashkernel=auto", "rd.lvm.lv=centos/root", "rd.lvm.lv=centos/swap",
                "rhgb", "quiet", "LANG=en_US.UTF-8"), c.args());
        assertEquals("CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)", GrubConfig.parse(fixture("centos-7-efi.grub.cfg")).choose().entry().title());
    }

    @Test
    void rockyBlsEntriesStandWhereBlscfgIsAndTheBootCounterIsNoDefault() throws IOException {
        String rocky = fixture("rocky-8-bls.grub.cfg");
        assertTrue(GrubConfig.usesBls(rocky));
        GrubConfig.Entry newer = new GrubConfig.Entry("Rocky Linux (4.18.0-513.5.1.el8_9.x86_64) 8.9 (Green Obsidian)", "m-4.18.0-513.5.1.el8_9.x86_64",
                "/vmlinuz-4.18.0-513.5.1.el8_9.x86_64 $kernelopts $tuned_params", "/initramfs-4.18.0-513.5.1.el8_9.x86_64.img $tuned_initrd", null);
        GrubConfig.Entry older = new GrubConfig.Entry("Rocky Linux (4.18.0-477.10.1.el8_8.x86_64) 8.8 (Green Obsidian)", "m-4.18.0-477.10.1.el8_8.x86_64",
                "/vmlinuz-4.18.0-477.10.1.el8_8.x86_64 $kernelopts $tuned_params", "/initramfs-4.18.0-477.10.1.el8_8.x86_64.img $tuned_initrd", null);
        GrubConfig g = GrubConfig.parse(rocky, Map.of("saved_entry", "m-4.18.0-477.10.1.el8_8.x86_64",
                "kernelopts", "root=/dev/mapper/rl-root ro crashkernel=auto rhgb quiet", "boot_success", "0"), List.of(newer, older));
        assertEquals(List.of(new GrubConfig.Default("${next_entry}", 1), new GrubConfig.Default("${saved_entry}", 1), new GrubConfig.Default("1", 2)),
                g.defaults());
        GrubConfig.Choice c = g.choose();
        assertEquals("/vmlinuz-4.18.0-477.10.1.el8_8.x86_64", c.kernel());
        assertEquals(List.of("root=/dev/mapper/rl-root", "ro", "crashkernel=auto", "rhgb", "quiet"), c.args(),
                "grubenv's kernelopts, not the file's fallback");
        // without grubenv: the first BLS entry and the file's fallback kernelopts
        GrubConfig.Choice fresh = GrubConfig.parse(rocky, Map.of(), List.of(newer, older)).choose();
        assertEquals("/vmlinuz-4.18.0-513.5.1.el8_9.x86_64", fresh.kernel());
        assertEquals(List.of("root=/dev/mapper/rl-root", "ro", "crashkernel=auto", "resume=/dev/mapper/rl-swap", "rd.lvm.lv=rl/root",
                "rd.lvm.lv=rl/swap", "rhgb", "quiet"), fresh.args());
    }

    @Test
    void continuationsDevicePrefixesQuotingAndIdsOfHandWrittenEntries() {
        String text = """
                set default=custom-2
                set console="console=ttyS0,115200n8 console=tty0"
                menuentry "My \\"kiosk\\" OS" --id=custom-1 {
                    linuxefi (hd0,gpt2)/vmlinuz-6.5.6-300.fc39.x86_64 root=/dev/mapper/fedora-root \\
                        ro rhgb quiet
                    initrdefi (hd0,gpt2)/intel-ucode.img (hd0,gpt2)/initramfs-6.5.6-300.fc39.x86_64.img
                }
                menuentry 'Serial' --unrestricted --id custom-2 {
                    set root=(hd0,gpt3)
                    linux ($root)/vmlinuz root=LABEL=root $console acpi_osi="!Windows 2015" 'literal=$console'
                    initrd ${root}/initrd.img
                }
                """;
        GrubConfig g = GrubConfig.parse(text);
        assertEquals("My \"kiosk\" OS", g.entries().get(0).title());
        GrubConfig.Choice serial = g.choose();
        assertEquals("($root)/vmlinuz", serial.kernel(), "the device stays for BootFiles to drop");
        assertEquals(List.of("root=LABEL=root", "console=ttyS0,115200n8", "console=tty0", "acpi_osi=!Windows 2015", "literal=$console"),
                serial.args(), "an unquoted variable splits into words; single quotes keep $");
        assertEquals("root=LABEL=root console=ttyS0,115200n8 console=tty0 acpi_osi=\"!Windows 2015\" literal=$console",
                BootFiles.commandLine(serial.args()), "GRUB quotes an argument holding a space");
        assertEquals(List.of("${root}/initrd.img"), serial.initrds(), "$root is set only in the entry: kept for BootFiles");

        GrubConfig.Choice fedora = GrubConfig.parse(text.replace("set default=custom-2", "set default=custom-1")).choose();
        assertEquals("(hd0,gpt2)/vmlinuz-6.5.6-300.fc39.x86_64", fedora.kernel());
        assertEquals(List.of("root=/dev/mapper/fedora-root", "ro", "rhgb", "quiet"), fedora.args(), "the backslash-newline joined the lines");
        assertEquals(List.of("(hd0,gpt2)/intel-ucode.img", "(hd0,gpt2)/initramfs-6.5.6-300.fc39.x86_64.img"), fedora.initrds());
    }

    @Test
    void aDefaultThatNamesNothingOrAnEntryWithoutLinuxIsRefused() throws IOException {
        String debian = fixture("debian-12.grub.cfg");
        IllegalArgumentException seven = assertThrows(IllegalArgumentException.class,
                () -> GrubConfig.parse(debian.replace("set default=\"0\"", "set default=\"7\"")).choose());
        assertEquals("the default entry '7' (set default=\"7\") names no menu entry; entries: [0 'Debian GNU/Linux', "
                + "1 'Advanced options for Debian GNU/Linux' [0 'Debian GNU/Linux, with Linux 6.1.0-18-amd64', "
                + "1 'Debian GNU/Linux, with Linux 6.1.0-18-amd64 (recovery mode)', 2 'Debian GNU/Linux, with Linux 6.1.0-17-amd64', "
                + "3 'Debian GNU/Linux, with Linux 6.1.0-17-amd64 (recovery mode)'], 2 'UEFI Firmware Settings']", seven.getMessage());
        IllegalArgumentException deep = assertThrows(IllegalArgumentException.class,
                () -> GrubConfig.parse(debian.replace("set default=\"0\"", "set default=\"1>9\"")).choose());
        assertTrue(deep.getMessage().startsWith("the default entry '1>9'"), deep.getMessage());
        IllegalArgumentException firmware = assertThrows(IllegalArgumentException.class,
                () -> GrubConfig.parse(debian.replace("set default=\"0\"", "set default=uefi-firmware")).choose());
        assertEquals("the default entry 'UEFI Firmware Settings' (set default=\"uefi-firmware\") has no linux line", firmware.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> GrubConfig.parse("set timeout=5\n").choose());
        assertEquals("the default entry '0' (no set default) names no menu entry; entries: []", empty.getMessage());
    }
}
