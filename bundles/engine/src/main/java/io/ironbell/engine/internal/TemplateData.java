package io.ironbell.engine.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.TinkerbellHardware;
import io.ironbell.api.json.Json;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoSlice;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a workflow template sees, in Tinkerbell's shape: the hardware map's entries at the top
 * ({@code .device_1}, strings), {@code .Hardware} (Tinkerbell's legacy struct: {@code Disks},
 * {@code Interfaces}, {@code UserData}, {@code Metadata}, {@code VendorData}, under their Go field
 * names, {@code .Hardware.Metadata.Instance.Hostname}), {@code .hardware} (the hardware as
 * Tinkerbell's Hardware object, a map under its JSON names, numbers as float64:
 * {@code .hardware.spec.interfaces}) and {@code .references} (empty). The record is the map's
 * first entry's; Ironbell's tink-v0.6 record maps onto Tinkerbell's spec: its interfaces, its
 * metadata, {@code disks} from {@code metadata.instance.storage.disks}, {@code userData} and
 * {@code vendorData} from the instance.
 */
final class TemplateData {

    private TemplateData() {
    }

    /** A Go struct type: its name and its fields (Go name, JSON name, type). */
    private record Type(String name, List<String[]> fields) {
    }

    private static final Map<String, Type> TYPES = new LinkedHashMap<>();

    private static void type(String name, String... fields) {
        List<String[]> list = new ArrayList<>();
        for (String f : fields) {
            list.add(f.split(" "));
        }
        TYPES.put(name, new Type("tinkerbell." + name, list));
    }

    static {
        // Tinkerbell's api/v1alpha1 Hardware types, field by field: Go name, JSON name, Go type
        type("Interface", "Netboot netboot *Netboot", "Isoboot isoboot *Isoboot", "DHCP dhcp *DHCP", "DisableDHCP disableDhcp bool");
        type("Netboot", "AllowPXE allowPXE *bool", "AllowWorkflow allowWorkflow *bool", "IPXE ipxe *IPXE", "OSIE osie *OSIE",
                "PXELINUX pxelinux *PXELINUX", "RPI rpi *RPI");
        type("Isoboot", "SourceISO sourceISO string");
        type("PXELINUX", "Config config string");
        type("RPI", "ConfigTxt configTxt string", "FirmwarePath firmwarePath string", "SerialNum serialNum string");
        type("IPXE", "URL url string", "Contents contents string", "Binary binary string");
        type("OSIE", "BaseURL baseURL string", "Kernel kernel string", "Initrd initrd string", "KernelParams kernelParams []string");
        type("DHCP", "MAC mac string", "Hostname hostname string", "DomainName domain_name string", "LeaseTime lease_time int64",
                "NameServers name_servers []string", "TimeServers time_servers []string", "Arch arch string", "UEFI uefi bool",
                "IfaceName iface_name string", "IP ip *IP", "VLANID vlan_id string",
                "ClasslessStaticRoutes classless_static_routes []ClasslessStaticRoute", "TFTPServerName tftp_server_name string",
                "BootFileName boot_file_name string");
        type("IP", "Address address string", "Netmask netmask string", "Gateway gateway string", "Family family int64");
        type("ClasslessStaticRoute", "DestinationDescriptor destination_descriptor string", "Router router string");
        type("HardwareMetadata", "State state string", "BondingMode bonding_mode int64", "Manufacturer manufacturer *MetadataManufacturer",
                "Instance instance *MetadataInstance", "Custom custom *MetadataCustom", "Facility facility *MetadataFacility");
        type("MetadataManufacturer", "ID id string", "Slug slug string");
        type("MetadataInstance", "ID id string", "State state string", "Hostname hostname string", "AllowPxe allow_pxe bool",
                "Rescue rescue bool", "OperatingSystem operating_system *MetadataInstanceOperatingSystem", "AlwaysPxe always_pxe bool",
                "IpxeScriptURL ipxe_script_url string", "Ips ips []*MetadataInstanceIP", "Userdata userdata string",
                "CryptedRootPassword crypted_root_password string", "Tags tags []string", "Storage storage *MetadataInstanceStorage",
                "SSHKeys ssh_keys []string", "NetworkReady network_ready bool");
        type("MetadataInstanceOperatingSystem", "Slug slug string", "Distro distro string", "Version version string",
                "ImageTag image_tag string", "OsSlug os_slug string");
        type("MetadataInstanceIP", "Address address string", "Netmask netmask string", "Gateway gateway string", "Family family int64",
                "Public public bool", "Management management bool");
        type("MetadataInstanceStorage", "Disks disks []*MetadataInstanceStorageDisk", "Raid raid []*MetadataInstanceStorageRAID",
                "Filesystems filesystems []*MetadataInstanceStorageFilesystem");
        type("MetadataInstanceStorageDisk", "Device device string", "WipeTable wipe_table bool",
                "Partitions partitions []*MetadataInstanceStorageDiskPartition");
        type("MetadataInstanceStorageDiskPartition", "Label label string", "Number number int64", "Size size int64", "Start start int64",
                "TypeGUID type_guid string");
        type("MetadataInstanceStorageRAID", "Name name string", "Level level string", "Devices devices []string", "Spare spare int64");
        type("MetadataInstanceStorageFilesystem", "Mount mount *MetadataInstanceStorageMount");
        type("MetadataInstanceStorageMount", "Device device string", "Format format string", "Files files []*MetadataInstanceStorageFile",
                "Create create *MetadataInstanceStorageMountFilesystemOptions", "Point point string");
        type("MetadataInstanceStorageFile", "Path path string", "Contents contents string", "Mode mode int64", "UID uid int64",
                "GID gid int64");
        type("MetadataInstanceStorageMountFilesystemOptions", "Force force bool", "Options options []string");
        type("MetadataCustom", "PreinstalledOperatingSystemVersion preinstalled_operating_system_version *MetadataInstanceOperatingSystem",
                "PrivateSubnets private_subnets []string");
        type("MetadataFacility", "PlanSlug plan_slug string", "PlanVersionSlug plan_version_slug string", "FacilityCode facility_code string");
    }

    /** The data for a workflow whose hardware map is {@code hardwareMap} and whose first entry's record is {@code hw}. */
    static Map<String, Object> of(Map<String, String> hardwareMap, Hardware hw) {
        return of(hardwareMap, TinkerbellHardware.toObject(hw));
    }

    /** The data for a workflow whose hardware map is {@code hardwareMap} and whose hardware is Tinkerbell's {@code object}. */
    static Map<String, Object> of(Map<String, String> hardwareMap, ObjectNode object) {
        return of(hardwareMap, object, null);
    }

    /**
     * As above, with the inventory the machine last reported: {@code .Hardware.Inventory}, a map
     * under its JSON names (numbers as float64), plus {@code disksBySize} and {@code ssdsBySize}
     * (its non-rotational disks), smallest first, so that a template picks a disk with
     * {@code (index .Hardware.Inventory.ssdsBySize 0).name}. Without an inventory the field is
     * absent, and {@code .Hardware} is exactly Tinkerbell's.
     */
    static Map<String, Object> of(Map<String, String> hardwareMap, ObjectNode object, JsonNode inventory) {
        Map<String, Object> root = new LinkedHashMap<>(hardwareMap);
        root.put("hardware", plain(object));
        GoStruct legacy = legacy(object.path("spec"));
        if (inventory != null && inventory.isObject()) {
            Map<String, Object> fields = new LinkedHashMap<>(legacy.fields());
            fields.put("Inventory", inventory(inventory));
            legacy = new GoStruct(legacy.type(), fields);
        }
        root.put("Hardware", legacy);
        root.put("references", new LinkedHashMap<>());
        return root;
    }

    @SuppressWarnings("unchecked")
    private static Object inventory(JsonNode inventory) {
        Map<String, Object> inv = (Map<String, Object>) plain(inventory);
        List<Object> disks = inv.get("disks") instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
        java.util.Comparator<Object> bySize = java.util.Comparator.comparingDouble(d -> ((Map<String, Object>) d).get("sizeBytes") instanceof Double v ? v : 0);
        disks.sort(bySize);
        inv.put("disksBySize", disks);
        inv.put("ssdsBySize", disks.stream().filter(d -> Boolean.FALSE.equals(((Map<String, Object>) d).get("rotational"))).toList());
        return inv;
    }

    /** JSON into what Go's json.Unmarshal into interface {} gives: maps, lists, float64 numbers, strings, bools, nil. */
    private static Object plain(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), plain(e.getValue())));
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(plain(e)));
            return l;
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        return n.asText();
    }

    /** Tinkerbell's templateHardwareData of a spec. */
    private static GoStruct legacy(JsonNode spec) {
        Map<String, Object> fields = new LinkedHashMap<>();
        List<Object> disks = new ArrayList<>();
        spec.path("disks").forEach(d -> disks.add(d.path("device").asText("")));
        fields.put("Disks", new GoSlice("string", disks));
        List<Object> interfaces = new ArrayList<>();
        spec.path("interfaces").forEach(i -> interfaces.add(struct(TYPES.get("Interface"), i)));
        fields.put("Interfaces", new GoSlice("tinkerbell.Interface", interfaces));
        fields.put("UserData", spec.path("userData").asText(""));
        fields.put("Metadata", struct(TYPES.get("HardwareMetadata"), spec.path("metadata")));
        fields.put("VendorData", spec.path("vendorData").asText(""));
        return new GoStruct("workflow.templateHardwareData", fields);
    }

    private static GoStruct struct(Type type, JsonNode json) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (String[] f : type.fields()) {
            fields.put(f[0], value(f[2], json.get(f[1])));
        }
        return new GoStruct(type.name(), fields);
    }

    private static Object value(String goType, JsonNode n) {
        boolean absent = n == null || n.isNull();
        switch (goType) {
            case "string":
                return absent ? "" : n.asText();
            case "bool":
                return !absent && n.asBoolean();
            case "int64":
                return GoNumber.integer("int64", absent ? 0 : n.asLong());
            case "*bool":
                return absent ? new GoPointer("bool", null) : new GoPointer("bool", n.asBoolean());
            case "[]string": {
                List<Object> items = new ArrayList<>();
                if (!absent) {
                    n.forEach(e -> items.add(e.asText()));
                }
                return new GoSlice("string", items);
            }
            default:
                break;
        }
        if (goType.startsWith("[]")) {
            String elem = goType.substring(2);
            boolean pointers = elem.startsWith("*");
            Type t = TYPES.get(pointers ? elem.substring(1) : elem);
            List<Object> items = new ArrayList<>();
            if (!absent) {
                n.forEach(e -> items.add(pointers ? new GoPointer(t.name(), struct(t, e)) : struct(t, e)));
            }
            return new GoSlice((pointers ? "*" : "") + t.name(), items);
        }
        if (goType.startsWith("*")) {
            Type t = TYPES.get(goType.substring(1));
            return new GoPointer(t.name(), absent ? null : struct(t, n));
        }
        Type t = TYPES.get(goType);
        return struct(t, absent ? Json.mapper().createObjectNode() : n);
    }
}
