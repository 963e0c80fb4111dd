package io.ironbell.ipxe.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpxeScriptsTest {

    static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");
    static final IpxeScripts.Settings SETTINGS = new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz",
            "osie/initramfs", "console=ttyS0", "#!ipxe\nexit\n");

    static Hardware hw(String netboot) throws Exception {
        return hw("hw-1", netboot);
    }

    static Hardware hw(String id, String netboot) throws Exception {
        return Json.mapper().readValue("{\"id\":" + Json.mapper().writeValueAsString(id) + ",\"network\":{\"interfaces\":["
                + "{\"dhcp\":{\"mac\":\"52:54:00:99:00:01\"}},{\"dhcp\":{\"mac\":\"52:54:00:12:34:56\"},"
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
    void withTlsTheWorkerGetsTheHttpsUrlThePinAndABootTokenWhileFirmwareStaysOnPlainHttp() throws Exception {
        IpxeScripts.Settings tls = new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                "console=ttyS0", "#!ipxe\nexit\n", "https://10.0.0.1:8443", "sha256:" + "0f".repeat(32));
        String script = IpxeScripts.script(hw("{\"allow_pxe\":true}"), MAC, true, tls, "ibb_AAAA.BBBB").text();
        assertTrue(script.contains("kernel --name vmlinuz http://10.0.0.1:8080/artifacts/osie/vmlinuz initrd=initrd "
                + "ironbell.server=https://10.0.0.1:8443 ironbell.worker=52:54:00:12:34:56 ironbell.ca=sha256:" + "0f".repeat(32)
                + " ironbell.boot_token=ibb_AAAA.BBBB ironbell.hardware=hw-1 syslog_host=10.0.0.1 console=ttyS0\n"), script);
        assertTrue(script.contains("initrd --name initrd http://10.0.0.1:8080/artifacts/osie/initramfs\n"), script);
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

    /** What a machine gets when a value cannot go into its script: the reason on its console, then the exit script. */
    static String refusal(String reason) {
        return "#!ipxe\necho Ironbell: no boot script for 52:54:00:12:34:56: " + reason + "; see the server log\nexit\n";
    }

    @Test
    void valuesWithWhitespaceQuotesOrControlCharactersNeverReachTheScript() throws Exception {
        String pxe = "{\"allow_pxe\":true}";
        record Case(String id, String netboot, String reason) {
        }
        List<Case> cases = List.of(
                new Case("hw-1 ironbell.server=http://evil", pxe, "field id contains whitespace"),
                new Case("hw-1\nshell", pxe, "field id contains whitespace"),
                new Case("hw-1\tironbell.server=http://evil", pxe, "field id contains whitespace"),
                new Case("hw-\"1", pxe, "field id contains a quote"),
                new Case("hw-\u00e0", pxe, "field id contains a character outside printable ASCII"),
                new Case("hw-\u0000", pxe, "field id contains a control character"),
                new Case("${evil}", pxe, "field id contains a dollar sign, which iPXE expands"),
                new Case("hw-1", "{\"allow_pxe\":true,\"osie\":{\"base_url\":\"http://mirror/osie\\nshell\"}}",
                        "field network.interfaces[1].netboot.osie.base_url contains whitespace"),
                new Case("hw-1", "{\"allow_pxe\":true,\"osie\":{\"base_url\":\"http://mirror/osie\",\"kernel\":\"k ironbell.server=http://evil\"}}",
                        "field network.interfaces[1].netboot.osie.kernel contains whitespace"),
                new Case("hw-1", "{\"allow_pxe\":true,\"osie\":{\"base_url\":\"http://mirror/osie\",\"initrd\":\"i\\r\\nshell\"}}",
                        "field network.interfaces[1].netboot.osie.initrd contains whitespace"),
                new Case("hw-1", "{\"allow_pxe\":true,\"ipxe\":{\"url\":\"http://x/boot.ipxe\\nshell\"}}",
                        "field network.interfaces[1].netboot.ipxe.url contains whitespace"),
                new Case("hw-1", "{\"allow_pxe\":true,\"ipxe\":{\"url\":\"http://x/a.ipxe || shell\"}}",
                        "field network.interfaces[1].netboot.ipxe.url contains whitespace"),
                new Case("hw-1", "{\"allow_pxe\":true,\"ipxe\":{\"url\":\"#http://x/boot.ipxe\"}}",
                        "field network.interfaces[1].netboot.ipxe.url starts with a hash sign, which iPXE reads as a comment"),
                new Case("hw-1", "{\"allow_pxe\":true,\"ipxe\":{\"url\":\"--replace\"}}",
                        "field network.interfaces[1].netboot.ipxe.url starts with a dash, which iPXE reads as an option"));
        for (Case c : cases) {
            String script = IpxeScripts.forMachine(hw(c.id(), c.netboot()), MAC, true, SETTINGS);
            assertEquals(refusal(c.reason()), script, c.toString());
            assertFalse(script.contains("evil") || script.contains("shell"), script);
        }
    }

    @Test
    void theReasonNamesTheFieldAndTheConfiguredExitScriptFollowsIt() throws Exception {
        IpxeScripts.Script s = IpxeScripts.script(hw("hw 1", "{\"allow_pxe\":true}"), MAC, true, SETTINGS);
        assertEquals("field id contains whitespace", s.refused());
        IpxeScripts.Settings sanboot = new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                "console=ttyS0", "#!ipxe\nsanboot --no-describe --drive 0x80\n");
        assertEquals("#!ipxe\necho Ironbell: no boot script for 52:54:00:12:34:56: field id contains whitespace; see the server log\n"
                + "sanboot --no-describe --drive 0x80\n", IpxeScripts.forMachine(hw("hw 1", "{\"allow_pxe\":true}"), MAC, true, sanboot));
        IpxeScripts.Script fine = IpxeScripts.script(hw("{\"allow_pxe\":true}"), MAC, true, SETTINGS);
        assertNull(fine.refused());
        assertTrue(fine.text().contains("ironbell.hardware=hw-1 "), fine.text());
        // a record's own script is its own to write; without work the id is not used at all
        assertNull(IpxeScripts.script(hw("hw 1", "{\"allow_pxe\":true,\"ipxe\":{\"contents\":\"shell\\n\"}}"), MAC, true, SETTINGS).refused());
        assertEquals("#!ipxe\nexit\n", IpxeScripts.forMachine(hw("hw 1", "{\"allow_pxe\":true}"), MAC, false, SETTINGS));
    }

    @Test
    void iPxeSettingsInAUrlStillWork() throws Exception {
        assertEquals("#!ipxe\nchain --autofree http://x/boot.ipxe?mac=${net0/mac}\n", IpxeScripts.forMachine(
                hw("{\"allow_pxe\":true,\"ipxe\":{\"url\":\"http://x/boot.ipxe?mac=${net0/mac}\"}}"), MAC, true, SETTINGS));
    }

    @Test
    void settingsThatCannotGoIntoAScriptAreRefusedNamingTheKey() {
        record Bad(IpxeScripts.Settings settings, String message) {
        }
        for (Bad b : List.of(
                new Bad(new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                        "console=ttyS0\nshell", "#!ipxe\nexit\n"), "setting ipxe.kernelArgs contains whitespace"),
                new Bad(new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                        "console=ttyS0 # quiet", "#!ipxe\nexit\n"), "setting ipxe.kernelArgs starts with a hash sign, which iPXE reads as a comment"),
                new Bad(new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                        "console=\"ttyS0\"", "#!ipxe\nexit\n"), "setting ipxe.kernelArgs contains a quote"),
                new Bad(new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vm linuz", "osie/initramfs",
                        "", "#!ipxe\nexit\n"), "setting ipxe.kernel contains whitespace"),
                new Bad(new IpxeScripts.Settings("10.0.0.1 x", "http://10.0.0.1 x:8080", "osie/vmlinuz", "osie/initramfs",
                        "", "#!ipxe\nexit\n"), "setting server.address contains whitespace"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b.settings()::check);
            assertEquals(b.message(), e.getMessage());
        }
        SETTINGS.check();
        new IpxeScripts.Settings("10.0.0.1", "http://10.0.0.1:8080", "osie/vmlinuz", "osie/initramfs",
                "  console=tty0   console=ttyS0,115200 ip=${net0/ip} -- single", "").check();
    }
}
