package io.ironbell.ipxe.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.MacAddress;

/**
 * The iPXE script a machine gets: a machine that may not PXE boot gets the exit script; a
 * hardware record's own contents or URL win over everything else; a machine without an
 * unfinished workflow gets the exit script; the others boot the in-memory OS with the server's
 * address, its worker id (its MAC) and its syslog target on the kernel command line.
 */
final class IpxeScripts {

    /**
     * What the scripts need to know about the server.
     *
     * @param host        the address machines reach Ironbell at
     * @param httpBase    base URL of the HTTP server, e.g. {@code http://10.0.0.1:8080}
     * @param kernel      path of the in-memory OS kernel under /artifacts
     * @param initrd      path of its initramfs under /artifacts
     * @param extraArgs   more kernel arguments (console=ttyS0 ...)
     * @param exitScript  what a machine that must not boot from the network gets
     */
    record Settings(String host, String httpBase, String kernel, String initrd, String extraArgs, String exitScript) {
    }

    private IpxeScripts() {
    }

    static String forMachine(Hardware hw, MacAddress mac, boolean hasWork, Settings s) {
        HardwareInterface nic = hw.interfaceByMac(mac).orElse(null);
        if (nic == null || !nic.allowsPxe()) {
            return s.exitScript();
        }
        if (nic.netboot() != null && nic.netboot().ipxe() != null) {
            String contents = nic.netboot().ipxe().contents();
            if (contents != null && !contents.isBlank()) {
                return contents.startsWith("#!ipxe") ? contents : "#!ipxe\n" + contents;
            }
            String url = nic.netboot().ipxe().url();
            if (url != null && !url.isBlank()) {
                return "#!ipxe\nchain --autofree " + url + "\n";
            }
        }
        if (!hasWork) {
            return s.exitScript();
        }
        String kernel = s.httpBase() + "/artifacts/" + s.kernel();
        String initrd = s.httpBase() + "/artifacts/" + s.initrd();
        if (nic.netboot() != null && nic.netboot().osie() != null && nic.netboot().osie().baseUrl() != null
                && !nic.netboot().osie().baseUrl().isBlank()) {
            String base = nic.netboot().osie().baseUrl().replaceAll("/+$", "");
            kernel = base + "/" + (nic.netboot().osie().kernel() == null || nic.netboot().osie().kernel().isBlank()
                    ? "vmlinuz" : nic.netboot().osie().kernel());
            initrd = base + "/" + (nic.netboot().osie().initrd() == null || nic.netboot().osie().initrd().isBlank()
                    ? "initramfs" : nic.netboot().osie().initrd());
        }
        String args = "initrd=initrd ironbell.server=" + s.httpBase() + " ironbell.worker=" + mac + " ironbell.hardware=" + hw.id()
                + " syslog_host=" + s.host() + (s.extraArgs().isBlank() ? "" : " " + s.extraArgs());
        return "#!ipxe\n"
                + "echo Ironbell: booting the in-memory OS for " + mac + "\n"
                + "kernel --name vmlinuz " + kernel + " " + args + "\n"
                + "initrd --name initrd " + initrd + "\n"
                + "boot\n";
    }
}
