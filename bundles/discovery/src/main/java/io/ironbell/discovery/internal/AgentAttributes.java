package io.ironbell.discovery.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.discovery.Inventory;
import java.util.Map;

/**
 * A machine's inventory as Tinkerbell's agent describes itself ({@code pkg/data/attributes.go}, filled
 * with ghw in {@code tink/agent/internal/attribute}): the document WorkflowRuleSets' patterns are
 * written against, with the same names and the same human-readable sizes ({@code "4GB"}: bytes
 * over the largest power of 1024 below them, rounded up). Where ghw reads a name from the PCI id
 * database, the ids stand ({@code vendor: "8086"}): the in-memory OS carries no pci.ids.
 */
final class AgentAttributes {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** ghw's names for storage controllers; a disk on none of these (loop, unknown) is left out, as Tinkerbell does. */
    private static final Map<String, String> CONTROLLERS = Map.of("nvme", "NVMe", "virtio", "virtio", "scsi", "SCSI", "usb", "SCSI",
            "mmc", "MMC", "ide", "IDE");

    private AgentAttributes() {
    }

    static ObjectNode of(Inventory inv) {
        ObjectNode a = JSON.createObjectNode();
        if (inv == null) {
            return a;
        }
        if (inv.cpu() != null) {
            Inventory.Cpu c = inv.cpu();
            ObjectNode cpu = a.putObject("cpu");
            putInt(cpu, "totalCores", c.cores());
            putInt(cpu, "totalThreads", c.threads());
            ObjectNode p = cpu.putArray("processors").addObject();
            p.put("id", 0);
            putInt(p, "cores", c.cores());
            putInt(p, "threads", c.threads());
            putText(p, "vendor", c.vendor());
            putText(p, "model", c.model());
            if (!c.flags().isEmpty()) {
                ArrayNode caps = p.putArray("capabilities");
                c.flags().forEach(caps::add);
            }
        }
        if (inv.memory() != null && inv.memory().totalBytes() != null) {
            ObjectNode m = a.putObject("memory");
            m.put("total", humanReadable(inv.memory().totalBytes()));
            m.put("usable", humanReadable(inv.memory().totalBytes()));
        }
        ArrayNode blocks = a.putArray("blockDevices");
        for (Inventory.Disk d : inv.disks()) {
            String controller = CONTROLLERS.get(d.bus() == null ? "" : d.bus());
            if (controller == null) {
                continue;
            }
            ObjectNode b = blocks.addObject();
            b.put("name", d.name());
            b.put("controllerType", controller);
            b.put("driveType", d.rotational() == null ? "Unknown" : d.rotational() ? "HDD" : "SSD");
            b.put("size", humanReadable(d.sizeBytes()));
            if (d.physicalBlockSize() != null) {
                b.put("physicalBlockSize", humanReadable(d.physicalBlockSize()));
            }
            b.put("vendor", d.vendor() == null ? "unknown" : d.vendor());
            b.put("model", d.model() == null ? "unknown" : d.model());
            putText(b, "wwn", d.wwn());
            putText(b, "serialNumber", d.serial());
        }
        ArrayNode nics = a.putArray("networkInterfaces");
        for (Inventory.Nic n : inv.nics()) {
            ObjectNode o = nics.addObject();
            o.put("name", n.name());
            o.put("mac", n.mac() == null ? "" : n.mac());
            o.put("speed", n.speedMbps() == null ? "" : n.speedMbps() + "Mb/s");
        }
        ArrayNode pci = a.putArray("pciDevices");
        for (Inventory.PciDevice d : inv.pci()) {
            ObjectNode o = pci.addObject();
            putText(o, "vendor", d.vendorId());
            putText(o, "product", d.deviceId());
            putText(o, "class", d.classId());
            putText(o, "driver", d.driver());
        }
        Inventory.System s = inv.system();
        if (s != null) {
            ObjectNode chassis = a.putObject("chassis");
            putText(chassis, "serial", s.chassisSerial());
            putText(chassis, "vendor", s.vendor());
            ObjectNode board = a.putObject("baseboard");
            putText(board, "vendor", s.boardVendor());
            putText(board, "product", s.boardProduct());
            putText(board, "serialNumber", s.boardSerial());
            ObjectNode product = a.putObject("product");
            putText(product, "name", s.product());
            putText(product, "vendor", s.vendor());
            putText(product, "serialNumber", s.serial());
        }
        if (inv.firmware() != null) {
            ObjectNode bios = a.putObject("bios");
            putText(bios, "vendor", inv.firmware().vendor());
            putText(bios, "version", inv.firmware().version());
            putText(bios, "releaseDate", inv.firmware().date());
        }
        return a;
    }

    /** ghw's size: {@code 1536 MiB} is {@code "2GB"} (over the unit below it, rounded up); nothing for 0. */
    static String humanReadable(long bytes) {
        if (bytes <= 0) {
            return "";
        }
        String[] units = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
        int u = 0;
        long unit = 1;
        while (u < units.length - 1 && bytes >= unit * 1024) {
            unit *= 1024;
            u++;
        }
        return (bytes / unit + (bytes % unit == 0 ? 0 : 1)) + units[u];
    }

    private static void putText(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    private static void putInt(ObjectNode o, String field, Integer value) {
        if (value != null) {
            o.put(field, value);
        }
    }
}
