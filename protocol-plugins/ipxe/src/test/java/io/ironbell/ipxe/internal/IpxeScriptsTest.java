package io.ironbell.ipxe.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import org.junit.jupiter.api.Test;

class IpxeScriptsTest {

    static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");
    static final IpxeScripts.Settings SETTINGS = new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz",
            "osie/initramfs", "console=ttyS0", "#!ipxe\nexit\n");

    static Hardware hw(String netboot) throws Exception {
        return Json.mapper().readValue("{\"id\":\"hw-1\",\"network\":{\"interfaces\":[{\"dhcp\":{\"mac\":\"52:54:00:12:34:56\"},"
                + "\"netboot\":" + netboot + "}]}}", Hardware.class);
    }

    @Test
    void theDefaultScriptBootsTheInMemoryOsWithTheServerAndWorker() throws Exception {
        String script = IpxeScripts.forMachine(hw("{\"allow_pxe\":true}"), MAC, true, SETTINGS);
        assertTrue(script.startsWith("#!ipxe\n"), script);
        assertTrue(script.contains("kernel --name vmlinuz http://10.0.0.1:8080/artifacts/osie/vmlinuz initrd=initrd "
                + "ironbell.server=http://10.0.0.1:8080 ironbell.worker=52:54:00:12:34:56 ironbell.hardware=hw-1 syslog_host=10.0.0.1 "
                + "console=ttyS0\n"), script);
        assertTrue(script.contains("initrd --name initrd http://10.0.0.1:8080/artifacts/osie/initramfs\n"), script);
        assertTrue(script.endsWith("boot\n"));
    }

    @Test
    void recordsOverrideAndPxeOffExits() throws Exception {
        assertEquals("#!ipxe\nexit\n", IpxeScripts.forMachine(hw("{\"allow_pxe\":false}"), MAC, true, SETTINGS));
        assertEquals("#!ipxe\nexit\n", IpxeScripts.forMachine(hw("{}"), MAC, true, SETTINGS), "Tinkerbell's default: no PXE");
        assertEquals("#!ipxe\nchain --autofree http://x/boot.ipxe\n",
                IpxeScripts.forMachine(hw("{\"allow_pxe\":true,\"ipxe\":{\"url\":\"http://x/boot.ipxe\"}}"), MAC, true, SETTINGS));
        assertEquals("#!ipxe\nshell\n",
                IpxeScripts.forMachine(hw("{\"allow_pxe\":true,\"ipxe\":{\"contents\":\"shell\\n\"}}"), MAC, true, SETTINGS));
        String osie = IpxeScripts.forMachine(hw("{\"allow_pxe\":true,\"osie\":{\"base_url\":\"http://mirror/osie/\",\"kernel\":\"k\",\"initrd\":\"i\"}}"),
                MAC, true, SETTINGS);
        assertTrue(osie.contains("kernel --name vmlinuz http://mirror/osie/k ") && osie.contains("initrd --name initrd http://mirror/osie/i"), osie);
    }

    @Test
    void aMachineWithoutWorkGoesToItsNextBootDeviceUnlessItsRecordSaysOtherwise() throws Exception {
        assertEquals("#!ipxe\nexit\n", IpxeScripts.forMachine(hw("{\"allow_pxe\":true}"), MAC, false, SETTINGS));
        assertEquals("#!ipxe\nshell\n",
                IpxeScripts.forMachine(hw("{\"allow_pxe\":true,\"ipxe\":{\"contents\":\"shell\\n\"}}"), MAC, false, SETTINGS));
    }
}
