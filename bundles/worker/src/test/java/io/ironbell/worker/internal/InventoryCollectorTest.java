package io.ironbell.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.discovery.Inventory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventoryCollectorTest {

    private static final String SECURE_BOOT = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
    private static final String MAC = "^([0-9a-f]{2}:){5}[0-9a-f]{2}$";

    @Test
    void readsAQemuQ35Machine(@TempDir Path root) throws IOException {
        // SMBIOS type 1, 2, 3 and 0 as the kernel shows them
        write(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
        write(root, "sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
        write(root, "sys/class/dmi/id/product_version", "pc-q35-7.2\n");
        write(root, "sys/class/dmi/id/product_serial", "SN-ONE\n");
        write(root, "sys/class/dmi/id/product_uuid", "4C4C4544-0042-3510-8051-B4C04F4B4E32\n");
        write(root, "sys/class/dmi/id/product_sku", "\n");
        write(root, "sys/class/dmi/id/board_vendor", "Canonical Ltd.\n");
        write(root, "sys/class/dmi/id/board_name", "Q35 board\n");
        write(root, "sys/class/dmi/id/chassis_type", "1\n");
        write(root, "sys/class/dmi/id/chassis_serial", "\n");
        write(root, "sys/class/dmi/id/bios_vendor", "EDK II\n");
        write(root, "sys/class/dmi/id/bios_version", "edk2-stable202302\n");
        write(root, "sys/class/dmi/id/bios_date", "02/06/2023\n");
        Files.createDirectories(root.resolve("sys/firmware/efi/efivars"));
        Files.write(root.resolve(SECURE_BOOT), new byte[] {6, 0, 0, 0, 1});
        write(root, "sys/class/tpm/tpm0/tpm_version_major", "2\n");
        Files.write(mkdirs(root, "sys/firmware/dmi/tables").resolve("DMI"), concat(
                structure(0, 0x18, List.of("EDK II", "edk2-stable202302")),
                ipmi(1),
                structure(127, 4, List.of())));

        write(root, "proc/cpuinfo", """
                processor\t: 0
                vendor_id\t: GenuineIntel
                cpu family\t: 6
                model\t\t: 106
                model name\t: Intel Xeon Processor (Icelake)
                physical id\t: 0
                siblings\t: 2
                core id\t\t: 0
                flags\t\t: fpu vme sse2 avx512f hypervisor

                processor\t: 1
                vendor_id\t: GenuineIntel
                cpu family\t: 6
                model\t\t: 106
                model name\t: Intel Xeon Processor (Icelake)
                physical id\t: 0
                siblings\t: 2
                core id\t\t: 1
                flags\t\t: fpu vme sse2 avx512f hypervisor

                """);
        write(root, "proc/meminfo", "MemTotal:        4026160 kB\nMemFree:         3812344 kB\n");

        // disks, laid out as sysfs does: /sys/block/X leads into the device tree, device is relative to that
        Path vda = disk(root, "vda", "sys/devices/pci0000:00/0000:00:04.0/virtio1", 41943040, "1", 512, 512);
        write(root, "sys/devices/pci0000:00/0000:00:04.0/virtio1/vendor", "0x1af4\n"); // a number, not a vendor name
        write(vda, "serial", "IRONBELL-VDA");
        String sata = "sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0";
        disk(root, "sda", sata, 2097152, "0", 512, 4096);
        Path sataDevice = root.resolve(sata);
        write(sataDevice, "model", "QEMU HARDDISK   \n");
        write(sataDevice, "vendor", "ATA     \n");
        write(sataDevice, "wwid", "t10.ATA     QEMU HARDDISK                           QM00001\n");
        Files.write(sataDevice.resolve("vpd_pg80"), concat(new byte[] {0, (byte) 0x80, 0, 20},
                "QM00001             ".getBytes(StandardCharsets.US_ASCII)));
        Path nvme = disk(root, "nvme0n1", "sys/devices/pci0000:00/0000:00:06.0/nvme/nvme0", 1953525168, "0", 512, 512);
        write(nvme, "wwid", "eui.0025385b71b2f4e1\n");
        write(root, "sys/devices/pci0000:00/0000:00:06.0/nvme/nvme0/model", "Samsung SSD 970 EVO Plus 1TB           \n");
        write(root, "sys/devices/pci0000:00/0000:00:06.0/nvme/nvme0/serial", "S4EWNX0R123456      \n");
        disk(root, "loop0", "sys/devices/virtual", 409600, "0", 512, 512);
        disk(root, "sr0", "sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0", 2097151, "1", 2048, 2048);

        // interfaces: loopback and a bridge have no device; ens3 is virtio (on 00:03.0), ens4 a PCI function that is down
        write(root, "sys/class/net/lo/address", "00:00:00:00:00:00\n");
        write(root, "sys/class/net/br0/address", "02:00:00:00:00:01\n");
        Path ens3 = nic(root, "ens3", "sys/devices/pci0000:00/0000:00:03.0/virtio0", "sys/bus/virtio/drivers/virtio_net");
        write(ens3, "address", "52:54:00:AB:CD:EF\n");
        write(ens3, "speed", "10000\n");
        write(ens3, "carrier", "1\n");
        write(ens3, "operstate", "up\n");
        write(ens3, "mtu", "1500\n");
        Path ens4 = nic(root, "ens4", "sys/devices/pci0000:00/0000:00:05.0", "sys/bus/pci/drivers/e1000e");
        write(ens4, "address", "52:54:00:12:34:56\n");
        Files.createDirectories(ens4.resolve("speed")); // reading it fails, as EINVAL does on a link that is down
        write(ens4, "carrier", "0\n");
        write(ens4, "operstate", "down\n");
        write(ens4, "mtu", "9000\n");

        pci(root, "0000:00:00.0", "0x8086", "0x29c0", "0x060000", "0x1af4", "0x1100", null);
        pci(root, "0000:00:03.0", "0x1af4", "0x1000", "0x020000", "0x1af4", "0x0001", "virtio-pci");

        Inventory inv = new InventoryCollector(root).collect();

        assertEquals(new Inventory.System("QEMU", "Standard PC (Q35 + ICH9, 2009)", "pc-q35-7.2", "SN-ONE",
                "4c4c4544-0042-3510-8051-b4c04f4b4e32", null, null, "Canonical Ltd.", "Q35 board", null, "Other", null), inv.system());
        assertEquals(new Inventory.Firmware("uefi", "EDK II", "edk2-stable202302", "02/06/2023", true), inv.firmware());
        assertEquals(new Inventory.Cpu("Intel Xeon Processor (Icelake)", "GenuineIntel", 1, 2, 2,
                List.of("fpu", "vme", "sse2", "avx512f", "hypervisor")), inv.cpu());
        assertEquals(new Inventory.Memory(4026160L * 1024), inv.memory());
        assertEquals(List.of(
                new Inventory.Disk("nvme0n1", 1953525168L * 512, "Samsung SSD 970 EVO Plus 1TB", null, "S4EWNX0R123456",
                        "eui.0025385b71b2f4e1", false, false, 512, 512, "nvme"),
                new Inventory.Disk("sda", 1L << 30, "QEMU HARDDISK", "ATA", "QM00001", "t10.ATA QEMU HARDDISK QM00001",
                        false, false, 512, 4096, "scsi"),
                new Inventory.Disk("vda", 20L << 30, null, null, "IRONBELL-VDA", null, true, false, 512, 512, "virtio")),
                inv.disks());
        assertEquals(List.of(
                new Inventory.Nic("ens3", "52:54:00:ab:cd:ef", "virtio_net", 10000, true, 1500, "0000:00:03.0"),
                new Inventory.Nic("ens4", "52:54:00:12:34:56", "e1000e", null, false, 9000, "0000:00:05.0")),
                inv.nics());
        assertEquals(List.of(
                new Inventory.PciDevice("0000:00:00.0", "8086", "29c0", "060000", "1af4", "1100", null),
                new Inventory.PciDevice("0000:00:03.0", "1af4", "1000", "020000", "1af4", "0001", "virtio-pci")),
                inv.pci());
        assertEquals(new Inventory.Tpm(true, "2.0"), inv.tpm());
        assertEquals(new Inventory.Bmc(true, "KCS", null), inv.bmc());
    }

    @Test
    void aBiosMachineWithPlaceholdersAndNothingElse(@TempDir Path root) throws IOException {
        write(root, "sys/class/dmi/id/sys_vendor", "To Be Filled By O.E.M.\n");
        write(root, "sys/class/dmi/id/product_name", "Default string\n");
        write(root, "sys/class/dmi/id/product_version", "Not Specified\n");
        write(root, "sys/class/dmi/id/product_serial", "None\n");
        write(root, "sys/class/dmi/id/product_uuid", "00000000-0000-0000-0000-000000000000\n");
        write(root, "sys/class/dmi/id/board_vendor", "   \n");
        write(root, "sys/class/dmi/id/board_name", "X11SPL-F\n");
        write(root, "sys/class/dmi/id/board_serial", "to be filled by o.e.m.\n");
        write(root, "sys/class/dmi/id/chassis_type", "23\n");
        write(root, "sys/class/dmi/id/bios_vendor", "American Megatrends Inc.\n");
        write(root, "sys/class/dmi/id/bios_version", "3.4\n");
        write(root, "sys/class/dmi/id/bios_date", "01/12/2021\n");

        Inventory inv = new InventoryCollector(root).collect();

        assertEquals(new Inventory.System(null, null, null, null, null, null, null, null, "X11SPL-F", null, "Rack Mount Chassis", null),
                inv.system());
        assertEquals(new Inventory.Firmware("bios", "American Megatrends Inc.", "3.4", "01/12/2021", null), inv.firmware());
        assertNull(inv.cpu());
        assertNull(inv.memory());
        assertEquals(List.of(), inv.disks());
        assertEquals(List.of(), inv.nics());
        assertEquals(List.of(), inv.pci());
        assertEquals(new Inventory.Tpm(false, null), inv.tpm());
        assertNull(inv.bmc());

        write(root, "sys/class/dmi/id/product_uuid", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
        assertNull(new InventoryCollector(root).collect().system().uuid(), "all ones is no uuid either");

        Inventory nothing = new InventoryCollector(root.resolve("no-such-root")).collect();
        assertEquals(new Inventory(null, new Inventory.Firmware("bios", null, null, null, null), null, null, List.of(), List.of(), List.of(),
                new Inventory.Tpm(false, null), null), nothing);
    }

    @Test
    void malformedAndUnusualInputsCostTheirFieldOnly(@TempDir Path root) throws IOException {
        write(root, "sys/class/dmi/id/chassis_type", "99\n");
        Files.createDirectories(root.resolve("sys/firmware/efi")); // efivarfs not mounted
        write(root, "sys/class/tpm/tpm0/tpm_version_major", "3\n");
        Files.createDirectories(root.resolve("sys/class/ipmi/ipmi0"));
        // two populated sockets, one empty, then a structure cut short (and no end-of-table)
        Files.write(mkdirs(root, "sys/firmware/dmi/tables").resolve("DMI"), concat(
                processor(0x41), processor(0x41), processor(0x00), new byte[] {4, 0x30, 0, 0, 1, 2}));
        // arm64-style cpuinfo: no physical or core ids
        write(root, "proc/cpuinfo", """
                processor\t: 0
                BogoMIPS\t: 50.00
                Features\t: fp asimd evtstrm

                processor\t: 1
                BogoMIPS\t: 50.00
                Features\t: fp asimd evtstrm
                """);
        write(root, "proc/meminfo", "MemTotal:        lots kB\n");

        Path usb = disk(root, "sdb", "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
                30031872, "0", 512, 512);
        write(usb, "removable", "1\n");
        write(root, "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/model", "Flash Disk\n");
        // a page that claims more bytes than it has
        Files.write(usb.resolve("device/vpd_pg80"), new byte[] {0, (byte) 0x80, 0, (byte) 200, 'A', 'B', 'C', 0});
        Path garbage = disk(root, "sdc", "sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0", 1, "x", 0, 0);
        write(garbage, "size", "many\n");
        Path nosize = disk(root, "mmcblk0", "sys/devices/platform/mmc0/mmc0:0001", 0, "0", 512, 512);
        Files.delete(nosize.resolve("size"));

        Path eth0 = nic(root, "eth0", "sys/devices/pci0000:00/0000:00:07.0", "sys/bus/pci/drivers/igb");
        write(eth0, "address", "3C:EC:EF:00:11:22\n");
        write(eth0, "speed", "-1\n");
        Files.createDirectories(eth0.resolve("carrier")); // unreadable, as on an interface that is down
        write(eth0, "operstate", "down\n");
        write(eth0, "mtu", "not a number\n");
        Path gone = mkdirs(root, "sys/class/net/eth1");
        Files.createSymbolicLink(gone.resolve("device"), Path.of("../../../devices/removed")); // leads nowhere

        Inventory inv = new InventoryCollector(root).collect();

        assertEquals("99", inv.system().chassisType(), "a chassis type SMBIOS does not define stays a number");
        assertEquals(new Inventory.Firmware("uefi", null, null, null, null), inv.firmware());
        assertEquals(new Inventory.Cpu(null, null, 2, 2, 2, List.of("fp", "asimd", "evtstrm")), inv.cpu(),
                "sockets from SMBIOS, cores from threads");
        assertNull(inv.memory());
        assertEquals(List.of(new Inventory.Disk("sdb", 30031872L * 512, "Flash Disk", null, "ABC", null, false, true, 512, 512, "usb")),
                inv.disks());
        assertEquals(List.of(new Inventory.Nic("eth0", "3c:ec:ef:00:11:22", "igb", null, false, null, "0000:00:07.0")), inv.nics());
        assertEquals(new Inventory.Tpm(true, null), inv.tpm());
        assertEquals(new Inventory.Bmc(true, null, null), inv.bmc(), "the kernel's IPMI device, without SMBIOS type 38");

        assertNull(InventoryCollector.unitSerial(new byte[] {0, (byte) 0x80, 0}));
        assertNull(InventoryCollector.unitSerial(new byte[] {0, (byte) 0x80, 0, 4, ' ', ' ', 0, 0}));
        assertEquals("Main Server Chassis", InventoryCollector.chassisName("17"));
        assertEquals("Desktop", InventoryCollector.chassisName("3"));
    }

    @Test
    void readsThisMachine() {
        Inventory inv = new InventoryCollector(Path.of("/")).collect();

        assertNotNull(inv.memory(), "/proc/meminfo");
        assertTrue(inv.memory().totalBytes() > 0);
        assertNotNull(inv.cpu(), "/proc/cpuinfo");
        assertTrue(inv.cpu().threads() >= Runtime.getRuntime().availableProcessors(), inv.cpu().toString());
        assertNotNull(inv.firmware());
        assertNotNull(inv.tpm());
        for (Inventory.Disk d : inv.disks()) {
            assertTrue(d.sizeBytes() > 0, d.toString());
            assertFalse(d.name().startsWith("loop") || d.name().startsWith("zram"), d.toString());
        }
        for (Inventory.Nic n : inv.nics()) {
            assertTrue(n.mac() != null && n.mac().matches(MAC), n.toString());
            assertFalse(n.name().equals("lo"), "loopback has no device");
        }
        for (Inventory.PciDevice p : inv.pci()) {
            assertTrue(p.address().matches("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$"), p.toString());
            assertTrue(p.vendorId().matches("[0-9a-f]{4}"), p.toString());
        }
    }

    // --- the fixture tree

    private static Path mkdirs(Path root, String dir) throws IOException {
        return Files.createDirectories(root.resolve(dir));
    }

    private static void write(Path dir, String file, String text) throws IOException {
        Path f = dir.resolve(file);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    /** A relative link, as sysfs has them. */
    private static void link(Path link, Path target) throws IOException {
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, link.getParent().relativize(target));
    }

    /** /sys/block/NAME → DEVICE/block/NAME, whose {@code device} leads back to DEVICE; returns the disk's directory. */
    private static Path disk(Path root, String name, String device, long sectors, String rotational, int logical, int physical)
            throws IOException {
        Path dev = mkdirs(root, device);
        Path dir = mkdirs(dev.resolve("block"), name);
        link(root.resolve("sys/block").resolve(name), dir);
        Files.createSymbolicLink(dir.resolve("device"), Path.of("../..")); // relative to the real directory, not /sys/block
        write(dir, "size", sectors + "\n");
        write(dir, "removable", "0\n");
        write(dir, "queue/rotational", rotational + "\n");
        write(dir, "queue/logical_block_size", logical + "\n");
        write(dir, "queue/physical_block_size", physical + "\n");
        return dir;
    }

    /** /sys/class/net/NAME → DEVICE/net/NAME, with {@code device} and the device's {@code driver}; returns the interface's directory. */
    private static Path nic(Path root, String name, String device, String driver) throws IOException {
        Path dev = mkdirs(root, device);
        Path dir = mkdirs(dev.resolve("net"), name);
        link(root.resolve("sys/class/net").resolve(name), dir);
        Files.createSymbolicLink(dir.resolve("device"), Path.of("../.."));
        link(dev.resolve("driver"), mkdirs(root, driver));
        return dir;
    }

    private static void pci(Path root, String address, String vendor, String device, String klass, String subVendor, String subDevice,
            String driver) throws IOException {
        Path dev = mkdirs(root, "sys/devices/pci0000:00/" + address);
        write(dev, "vendor", vendor + "\n");
        write(dev, "device", device + "\n");
        write(dev, "class", klass + "\n");
        write(dev, "subsystem_vendor", subVendor + "\n");
        write(dev, "subsystem_device", subDevice + "\n");
        if (driver != null) {
            link(dev.resolve("driver"), mkdirs(root, "sys/bus/pci/drivers/" + driver));
        }
        link(root.resolve("sys/bus/pci/devices").resolve(address), dev);
    }

    // --- SMBIOS structures

    /** A structure of {@code length} formatted bytes (fields zero) and its strings. */
    private static byte[] structure(int type, int length, List<String> strings) {
        byte[] formatted = new byte[length];
        formatted[0] = (byte) type;
        formatted[1] = (byte) length;
        formatted[2] = 0x10; // handle
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(formatted);
        for (String s : strings) {
            out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
        if (strings.isEmpty()) {
            out.write(0);
        }
        out.write(0);
        return out.toByteArray();
    }

    /** Type 38, IPMI Device Information: interface type, spec revision 2.0, I2C address, base address 0xca2 (I/O). */
    private static byte[] ipmi(int interfaceType) {
        byte[] s = structure(38, 0x12, List.of());
        s[4] = (byte) interfaceType;
        s[5] = 0x20;
        s[6] = 0x20;
        s[7] = (byte) 0xff;
        s[8] = (byte) 0xa3;
        s[9] = 0x0c;
        return s;
    }

    /** Type 4, Processor Information, with its status byte (bit 6: socket populated) and a socket designation. */
    private static byte[] processor(int status) {
        byte[] s = structure(4, 0x2a, List.of("CPU " + status));
        s[4] = 1;
        s[0x18] = (byte) status;
        return s;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
