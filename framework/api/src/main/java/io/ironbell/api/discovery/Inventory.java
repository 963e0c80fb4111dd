package io.ironbell.api.discovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Optional;

/**
 * What a machine is, as its in-memory OS read it from {@code /sys}, {@code /proc} and the
 * firmware's SMBIOS tables. Sizes are bytes; a field the machine could not read is {@code null}.
 * Fields a newer worker sends and this version does not know are ignored.
 *
 * @param system   SMBIOS type 1 (and the board and chassis)
 * @param firmware BIOS or UEFI, its vendor and version, Secure Boot
 * @param cpu      processors
 * @param memory   installed memory
 * @param disks    block devices that are disks (no loop, RAM or optical devices), by name
 * @param nics     network interfaces backed by a device (no loopback, bridges or tunnels)
 * @param pci      PCI functions, with numeric ids (names are a lookup away)
 * @param tpm      the TPM, if the kernel sees one
 * @param bmc      the BMC, if SMBIOS or the kernel names one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Inventory(System system, Firmware firmware, Cpu cpu, Memory memory, List<Disk> disks, List<Nic> nics,
        List<PciDevice> pci, Tpm tpm, Bmc bmc) {

    public Inventory {
        disks = disks == null ? List.of() : List.copyOf(disks);
        nics = nics == null ? List.of() : List.copyOf(nics);
        pci = pci == null ? List.of() : List.copyOf(pci);
    }

    /** SMBIOS system information; {@code uuid} lower-case, {@code null} when the firmware gives none (all zeros or ones). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record System(String vendor, String product, String version, String serial, String uuid, String sku, String family,
            String boardVendor, String boardProduct, String boardSerial, String chassisType, String chassisSerial) {
    }

    /**
     * @param mode       {@code uefi} or {@code bios}
     * @param secureBoot Secure Boot enforced, {@code null} under BIOS or when the variable cannot be read
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Firmware(String mode, String vendor, String version, String date, Boolean secureBoot) {
    }

    /**
     * @param threads logical processors the kernel runs on
     * @param cores   physical cores (distinct core ids per package)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Cpu(String model, String vendor, Integer sockets, Integer cores, Integer threads, List<String> flags) {
        public Cpu {
            flags = flags == null ? List.of() : List.copyOf(flags);
        }
    }

    /** @param totalBytes memory the kernel manages ({@code MemTotal}) */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Memory(Long totalBytes) {
    }

    /**
     * @param name       the kernel's name ({@code sda}, {@code vda}, {@code nvme0n1}); {@code /dev/NAME} is the device
     * @param wwn        the World Wide Name, when the device has one ({@code naa.…}, {@code eui.…}, {@code t10.…})
     * @param rotational whether it spins (the kernel's guess for virtual disks is {@code true})
     * @param bus        {@code nvme}, {@code virtio}, {@code scsi} (SATA and SAS included), {@code usb}, {@code mmc} or {@code other}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Disk(String name, long sizeBytes, String model, String vendor, String serial, String wwn, Boolean rotational,
            Boolean removable, Integer logicalBlockSize, Integer physicalBlockSize, String bus) {
    }

    /**
     * @param mac       lower-case, colon-separated
     * @param speedMbps the link speed, {@code null} when down or unknown
     * @param link      carrier present
     * @param pciAddress the PCI function behind it ({@code 0000:00:03.0}), when it is on PCI
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Nic(String name, String mac, String driver, Integer speedMbps, Boolean link, Integer mtu, String pciAddress) {
    }

    /** Ids as four lower-case hex digits, the class as six. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PciDevice(String address, String vendorId, String deviceId, String classId, String subsystemVendorId,
            String subsystemDeviceId, String driver) {
    }

    /** @param version {@code 2.0} or {@code 1.2}, when the kernel says */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tpm(boolean present, String version) {
    }

    /**
     * @param interfaceType SMBIOS type 38's {@code KCS}, {@code SMIC}, {@code BT} or {@code SSIF}
     * @param address       the BMC's LAN address, when the machine could read it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Bmc(boolean present, String interfaceType, String address) {
    }

    /** The disk of this name. */
    public Optional<Disk> disk(String name) {
        return disks.stream().filter(d -> d.name().equals(name)).findFirst();
    }
}
