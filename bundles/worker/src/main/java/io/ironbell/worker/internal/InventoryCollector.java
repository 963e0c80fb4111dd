package io.ironbell.worker.internal;

import io.ironbell.api.discovery.Inventory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what the machine is from the kernel's view of it: DMI ids, disks, network interfaces
 * and PCI functions from {@code /sys}, processors and memory from {@code /proc}, and the BMC
 * (and empty CPU sockets) from the raw SMBIOS table the kernel exposes. The worker's in-memory
 * OS has neither udev nor {@code dmidecode}/{@code lshw}, so this reads files and nothing else.
 * Every path is resolved against {@code root} ({@code /} in production, a fixture tree in tests).
 * Hardware is diverse and firmware often lies: a file that is missing, unreadable or malformed
 * makes its field {@code null} (or its list entry absent), never a failure of the whole.
 */
final class InventoryCollector {

    private static final Logger LOG = LoggerFactory.getLogger(InventoryCollector.class);

    /** What firmware writes into DMI fields it was not told to fill (compared lower-case). */
    private static final Set<String> PLACEHOLDERS = Set.of("to be filled by o.e.m.", "default string", "not specified", "none",
            "not applicable", "n/a", "o.e.m.", "oem", "system manufacturer", "system product name", "system version",
            "system serial number", "base board serial number", "chassis serial number", "0123456789", "type1productconfigid",
            "type1family", "type1sku0", "sku", "invalid");
    /** SMBIOS 3.x chassis types (7.4.1), as dmidecode names them. */
    private static final List<String> CHASSIS_TYPES = List.of("Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box",
            "Mini Tower", "Tower", "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All in One", "Sub Notebook",
            "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis", "Bus Expansion Chassis",
            "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis", "Sealed-case PC", "Multi-system", "CompactPCI",
            "AdvancedTCA", "Blade", "Blade Enclosure", "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC",
            "Mini PC", "Stick PC");
    /** SMBIOS type 38's interface types, by number. */
    private static final List<String> IPMI_INTERFACES = List.of("KCS", "SMIC", "BT", "SSIF");
    /** Block devices that are not disks: loop, RAM, compressed RAM, optical, floppy, device-mapper, RAID, network. */
    private static final List<String> NOT_DISKS = List.of("loop", "ram", "zram", "sr", "fd", "dm-", "md", "nbd");
    private static final Pattern PCI_ADDRESS = Pattern.compile("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$");
    private static final String SECURE_BOOT = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
    private static final int SMBIOS_END = 127;
    private static final int SMBIOS_PROCESSOR = 4;
    private static final int SMBIOS_IPMI = 38;

    /** The SMBIOS table's parts this reads. */
    private record Smbios(Inventory.Bmc bmc, int populatedSockets) {
        static final Smbios NONE = new Smbios(null, 0);
    }

    private final Path root;

    InventoryCollector(Path root) {
        this.root = root;
    }

    /** Reads the machine now; each part is read on its own, so one that fails leaves the others. */
    Inventory collect() {
        Smbios smbios = Objects.requireNonNullElse(guard("SMBIOS table", this::smbios), Smbios.NONE);
        Inventory.Bmc bmc = smbios.bmc() != null ? smbios.bmc()
                : Files.exists(sys("class/ipmi/ipmi0")) ? new Inventory.Bmc(true, null, null) : null;
        return new Inventory(guard("system", this::system), guard("firmware", this::firmware),
                guard("cpu", () -> cpu(smbios.populatedSockets())), guard("memory", this::memory),
                guard("disks", () -> each("block", this::disk)), guard("nics", () -> each("class/net", this::nic)),
                guard("pci", () -> each("bus/pci/devices", this::pci)), guard("tpm", this::tpm), bmc);
    }

    // --- the parts

    private Inventory.System system() {
        String uuid = dmi("product_uuid");
        if (uuid != null) {
            uuid = uuid.toLowerCase(Locale.ROOT);
            String digits = uuid.replace("-", "");
            if (digits.chars().allMatch(c -> c == '0') || digits.chars().allMatch(c -> c == 'f')) {
                uuid = null; // the firmware has none
            }
        }
        String chassis = text(sys("class/dmi/id/chassis_type"));
        Inventory.System system = new Inventory.System(dmi("sys_vendor"), dmi("product_name"), dmi("product_version"),
                dmi("product_serial"), uuid, dmi("product_sku"), dmi("product_family"), dmi("board_vendor"), dmi("board_name"), dmi("board_serial"),
                chassis == null ? null : chassisName(chassis), dmi("chassis_serial"));
        // no DMI at all (a container, a board without SMBIOS): no system rather than an empty one
        return system.equals(new Inventory.System(null, null, null, null, null, null, null, null, null, null, null, null)) ? null : system;
    }

    /** SMBIOS chassis type number → its name; a number SMBIOS does not define stays as it is. */
    static String chassisName(String number) {
        Integer n = integer(number);
        return n != null && n >= 1 && n <= CHASSIS_TYPES.size() ? CHASSIS_TYPES.get(n - 1) : number;
    }

    private Inventory.Firmware firmware() {
        boolean uefi = Files.exists(sys("firmware/efi"));
        return new Inventory.Firmware(uefi ? "uefi" : "bios", dmi("bios_vendor"), dmi("bios_version"), dmi("bios_date"),
                uefi ? secureBoot() : null);
    }

    private Boolean secureBoot() {
        // efivarfs: 4 attribute bytes, then the value; the old sysfs interface (gone in newer kernels): the value alone
        byte[] v = bytes(sys("firmware/efi/efivars/" + SECURE_BOOT));
        int at = 4;
        if (v == null) {
            v = bytes(sys("firmware/efi/vars/" + SECURE_BOOT + "/data"));
            at = 0;
        }
        if (v == null || v.length <= at || (v[at] != 0 && v[at] != 1)) {
            return null;
        }
        return v[at] == 1;
    }

    private Inventory.Cpu cpu(int populatedSockets) {
        String info = text(proc("cpuinfo"));
        if (info == null) {
            return null;
        }
        String model = null;
        String vendor = null;
        List<String> flags = null;
        int threads = 0;
        String physical = null;
        Set<String> packages = new HashSet<>();
        Set<String> cores = new HashSet<>();
        boolean coreIds = false;
        for (String line : info.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "processor" -> {
                    threads++;
                    physical = null;
                }
                case "model name" -> model = model == null ? emptyToNull(value) : model;
                case "vendor_id" -> vendor = vendor == null ? emptyToNull(value) : vendor;
                // arm64 names them Features
                case "flags", "Features" -> flags = flags == null ? List.of(value.split("\\s+")) : flags;
                case "physical id" -> {
                    physical = value;
                    packages.add(value);
                }
                case "core id" -> {
                    coreIds = true;
                    cores.add(physical + "/" + value); // core ids repeat across packages
                }
                default -> {
                }
            }
        }
        Integer sockets = !packages.isEmpty() ? packages.size() : populatedSockets > 0 ? populatedSockets : threads > 0 ? 1 : null;
        return new Inventory.Cpu(model, vendor, sockets, coreIds ? cores.size() : threads > 0 ? threads : null,
                threads > 0 ? threads : null, flags == null ? List.of() : flags.stream().filter(f -> !f.isEmpty()).toList());
    }

    private Inventory.Memory memory() {
        String info = text(proc("meminfo"));
        if (info == null) {
            return null;
        }
        for (String line : info.split("\n")) {
            if (line.startsWith("MemTotal:")) {
                Long kib = number(line.substring("MemTotal:".length()).replace("kB", ""));
                return kib == null ? null : new Inventory.Memory(kib * 1024);
            }
        }
        return null;
    }

    private Inventory.Disk disk(Path dir) {
        String name = dir.getFileName().toString();
        if (NOT_DISKS.stream().anyMatch(name::startsWith)) {
            return null;
        }
        Long sectors = number(text(dir.resolve("size")));
        if (sectors == null || sectors <= 0) {
            return null; // an empty card reader, a detached virtual disk
        }
        Path device = dir.resolve("device");
        String bus = bus(name, real(device));
        String serial = firstNonNull(() -> text(dir.resolve("serial")), () -> text(device.resolve("serial")),
                () -> unitSerial(bytes(device.resolve("vpd_pg80"))));
        String wwn = firstNonNull(() -> text(dir.resolve("wwid")), () -> text(device.resolve("wwid")));
        return new Inventory.Disk(name, sectors * 512, text(device.resolve("model")),
                // a virtio device's vendor is its numeric PCI vendor id, not a name
                "virtio".equals(bus) ? null : text(device.resolve("vendor")), serial,
                wwn == null ? null : wwn.replaceAll(" +", " "), flag(dir.resolve("queue/rotational")), flag(dir.resolve("removable")),
                integer(text(dir.resolve("queue/logical_block_size"))), integer(text(dir.resolve("queue/physical_block_size"))), bus);
    }

    /** The bus a disk is on, from its name and where its device sits in the device tree. */
    private String bus(String name, Path device) {
        Path top = real(root);
        // relative to root, so that a fixture tree's own location cannot look like a USB path
        String path = device == null ? "" : "/" + (top != null && device.startsWith(top) ? top.relativize(device) : device);
        if (name.startsWith("nvme")) {
            return "nvme";
        } else if (name.startsWith("vd")) {
            return "virtio";
        } else if (path.contains("/usb")) {
            return "usb";
        } else if (name.startsWith("mmcblk")) {
            return "mmc";
        } else if (name.startsWith("sd")) {
            return "scsi";
        }
        return "other";
    }

    /** The serial number in SCSI VPD page 0x80 (Unit Serial Number): a 4-byte header, then that many ASCII bytes. */
    static String unitSerial(byte[] page) {
        if (page == null || page.length < 4) {
            return null;
        }
        int length = Math.min(((page[2] & 0xff) << 8) | (page[3] & 0xff), page.length - 4);
        return emptyToNull(new String(page, 4, length, StandardCharsets.US_ASCII).replace('\0', ' ').trim());
    }

    private Inventory.Nic nic(Path dir) {
        Path device = dir.resolve("device");
        if (!Files.exists(device)) {
            return null; // loopback, bridges, bonds, tunnels: no hardware behind them
        }
        Integer speed = integer(text(dir.resolve("speed"))); // unreadable (EINVAL) while the link is down
        Boolean link = flag(dir.resolve("carrier"));
        if (link == null && "down".equals(text(dir.resolve("operstate")))) {
            link = false; // carrier cannot be read on an interface that is down
        }
        String mac = text(dir.resolve("address"));
        return new Inventory.Nic(dir.getFileName().toString(), mac == null ? null : mac.toLowerCase(Locale.ROOT),
                linkName(device.resolve("driver")), speed == null || speed < 0 ? null : speed, link,
                integer(text(dir.resolve("mtu"))), pciAddress(real(device)));
    }

    /** The PCI function a device is, or sits on (a virtio device is a child of its PCI function). */
    private static String pciAddress(Path device) {
        return device == null ? null : Stream.of(device, device.getParent()).filter(Objects::nonNull).map(Path::getFileName)
                .filter(Objects::nonNull).map(Path::toString).filter(n -> PCI_ADDRESS.matcher(n).matches()).findFirst().orElse(null);
    }

    private Inventory.PciDevice pci(Path dir) {
        return new Inventory.PciDevice(dir.getFileName().toString(), hex(dir.resolve("vendor")), hex(dir.resolve("device")),
                hex(dir.resolve("class")), hex(dir.resolve("subsystem_vendor")), hex(dir.resolve("subsystem_device")),
                linkName(dir.resolve("driver")));
    }

    private Inventory.Tpm tpm() {
        Path tpm = sys("class/tpm/tpm0");
        if (!Files.exists(tpm)) {
            return new Inventory.Tpm(false, null);
        }
        String major = text(tpm.resolve("tpm_version_major"));
        return new Inventory.Tpm(true, "2".equals(major) ? "2.0" : "1".equals(major) ? "1.2" : null);
    }

    /**
     * Walks the SMBIOS structures: each is a formatted area (type, length, handle, fields) and a
     * set of strings ended by two NULs; type 127 ends the table. Stops at the first structure
     * that does not fit, keeping what it found before.
     */
    private Smbios smbios() {
        byte[] t = bytes(sys("firmware/dmi/tables/DMI"));
        if (t == null) {
            return Smbios.NONE;
        }
        Inventory.Bmc bmc = null;
        int sockets = 0;
        int at = 0;
        while (at + 4 <= t.length) {
            int type = t[at] & 0xff;
            int length = t[at + 1] & 0xff;
            if (type == SMBIOS_END || length < 4 || at + length > t.length) {
                break;
            }
            if (type == SMBIOS_IPMI && length > 4 && bmc == null) {
                int kind = t[at + 4] & 0xff;
                bmc = new Inventory.Bmc(true, kind >= 1 && kind <= IPMI_INTERFACES.size() ? IPMI_INTERFACES.get(kind - 1) : null, null);
            } else if (type == SMBIOS_PROCESSOR && length > 0x18 && (t[at + 0x18] & 0x40) != 0) {
                sockets++;
            }
            at += length;
            while (at + 1 < t.length && (t[at] != 0 || t[at + 1] != 0)) {
                at++;
            }
            at += 2;
        }
        return new Smbios(bmc, sockets);
    }

    // --- reading

    private Path sys(String path) {
        return root.resolve("sys").resolve(path);
    }

    private Path proc(String path) {
        return root.resolve("proc").resolve(path);
    }

    /** A DMI id field, {@code null} when empty or a placeholder. */
    private String dmi(String field) {
        String v = text(sys("class/dmi/id/" + field));
        return v == null || PLACEHOLDERS.contains(v.toLowerCase(Locale.ROOT)) ? null : v;
    }

    /** The entries of a directory under /sys, by name, each made into a T (or skipped when that gives null or fails). */
    private <T> List<T> each(String dir, Function<Path, T> read) {
        List<Path> entries;
        try (Stream<Path> s = Files.list(sys(dir))) {
            entries = s.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            return List.of();
        }
        List<T> out = new ArrayList<>();
        for (Path p : entries) {
            T t = guard(dir + "/" + p.getFileName(), () -> read.apply(p));
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    private static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null; // missing, unreadable (not root, EINVAL from a driver), or a directory
        }
    }

    /** A file's text, trimmed; {@code null} when it is missing, unreadable or empty. */
    private static String text(Path file) {
        byte[] b = bytes(file);
        return b == null ? null : emptyToNull(new String(b, StandardCharsets.UTF_8).trim());
    }

    /** {@code 1} or {@code 0} in a file. */
    private static Boolean flag(Path file) {
        String v = text(file);
        return "1".equals(v) ? Boolean.TRUE : "0".equals(v) ? Boolean.FALSE : null;
    }

    /** A sysfs id ({@code 0x1af4}) as bare lower-case hex digits. */
    private static String hex(Path file) {
        String v = text(file);
        if (v == null) {
            return null;
        }
        v = v.toLowerCase(Locale.ROOT);
        return v.startsWith("0x") ? emptyToNull(v.substring(2)) : v;
    }

    /** Where a link leads, all links on the way followed; {@code null} when it leads nowhere. */
    private static Path real(Path link) {
        try {
            return link.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /** The name of what a link leads to: a driver's name, for a {@code driver} link. */
    private static String linkName(Path link) {
        Path p = real(link);
        return p == null || p.getFileName() == null ? null : p.getFileName().toString();
    }

    private static Integer integer(String s) {
        Long n = number(s);
        return n == null || n != n.intValue() ? null : n.intValue();
    }

    private static Long number(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @SafeVarargs
    private static String firstNonNull(Supplier<String>... sources) {
        for (Supplier<String> s : sources) {
            String v = s.get();
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** Reads one part; a surprise in it (malformed data this did not foresee) costs that part only. */
    private static <T> T guard(String what, Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            LOG.warn("Inventory: cannot read {}: {}", what, e.toString());
            return null;
        }
    }
}
