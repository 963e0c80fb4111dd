package io.ironbell.api.hardware;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.json.Extras;
import java.util.List;
import java.util.Map;

/**
 * The {@code metadata} section of a hardware record: what the metadata service tells the
 * installed OS about itself.
 *
 * @param facility where the machine is
 * @param instance the instance that runs on it
 * @param state    Tinkerbell's free-text state of the machine
 * @param extra    fields this model does not name
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HardwareMetadata(
        Facility facility,
        Instance instance,
        String state,
        @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

    public HardwareMetadata {
        extra = Extras.copy(extra);
    }

    /**
     * The machine's facility.
     *
     * @param facilityCode site code, served as the availability zone
     * @param planSlug     hardware plan
     * @param extra        fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Facility(
            @JsonProperty("facility_code") String facilityCode,
            @JsonProperty("plan_slug") String planSlug,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Facility {
            extra = Extras.copy(extra);
        }
    }

    /**
     * The instance that the machine runs once installed.
     *
     * @param id              instance id (EC2 {@code instance-id})
     * @param hostname        host name
     * @param operatingSystem the OS to install
     * @param storage         disks
     * @param userdata        cloud-init user-data, served byte for byte
     * @param vendordata      cloud-init vendor-data
     * @param sshKeys         public keys (EC2 {@code public-keys/})
     * @param tags            tags
     * @param extra           fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Instance(
            String id,
            String hostname,
            @JsonProperty("operating_system") OperatingSystem operatingSystem,
            Storage storage,
            String userdata,
            String vendordata,
            @JsonProperty("ssh_keys") List<String> sshKeys,
            List<String> tags,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Instance {
            sshKeys = sshKeys == null ? null : List.copyOf(sshKeys);
            tags = tags == null ? null : List.copyOf(tags);
            extra = Extras.copy(extra);
        }
    }

    /**
     * The operating system to install.
     *
     * @param distro  e.g. {@code ubuntu}
     * @param version e.g. {@code 22.04}
     * @param osSlug  e.g. {@code ubuntu_22_04}
     * @param extra   fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OperatingSystem(
            String distro,
            String version,
            @JsonProperty("os_slug") String osSlug,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public OperatingSystem {
            extra = Extras.copy(extra);
        }
    }

    /**
     * The machine's storage.
     *
     * @param disks its disks
     * @param extra fields this model does not name
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Storage(
            List<Disk> disks,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Storage {
            disks = disks == null ? null : List.copyOf(disks);
            extra = Extras.copy(extra);
        }
    }

    /**
     * One disk.
     *
     * @param device its device path, e.g. {@code /dev/sda}
     * @param extra  fields this model does not name (wipe_table, partitions, ...)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Disk(
            String device,
            @JsonAnySetter @JsonAnyGetter Map<String, JsonNode> extra) {

        public Disk {
            extra = Extras.copy(extra);
        }
    }
}
