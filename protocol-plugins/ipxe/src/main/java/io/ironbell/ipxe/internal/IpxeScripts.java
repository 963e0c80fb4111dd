package io.ironbell.ipxe.internal;

import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.Netboot;

/**
 * The iPXE script a machine gets: a machine that may not PXE boot gets the exit script; a
 * hardware record's own contents or URL win over everything else; a machine without an
 * unfinished workflow gets the exit script; the others boot the in-memory OS with the server's
 * address, its worker id (its MAC) and its syslog target on the kernel command line.
 *
 * <p>iPXE expands {@code ${...}} in a command line, then splits it at whitespace with no quoting
 * (a word starting with {@code #} begins a comment, {@code ||} and {@code &&} chain commands), and
 * the kernel and the in-memory OS's init split their command line the same way, the last
 * {@code ironbell.server=} winning. So every value that goes into a script must be one word of
 * printable ASCII without quotes: one with a space or a newline would add commands or kernel
 * arguments. A record or setting with such a value gets no boot script: the machine is told why
 * on its console, then gets the exit script.
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
     * @param apiBase     base URL the in-memory OS's worker uses, HTTPS while TLS is on
     * @param caPin       the fingerprint the worker pins ({@code sha256:...}), or null when TLS is off
     */
    record Settings(String host, String httpBase, String kernel, String initrd, String extraArgs, String exitScript, String apiBase,
                    String caPin) {

        Settings(String host, String httpBase, String kernel, String initrd, String extraArgs, String exitScript) {
            this(host, httpBase, kernel, initrd, extraArgs, exitScript, httpBase, null);
        }

        /**
         * Checks the values every boot script carries.
         *
         * @throws IllegalArgumentException naming the setting whose value cannot go into a script
         */
        void check() {
            try {
                checkWords();
            } catch (Unsafe e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }

        private void checkWords() throws Unsafe {
            argValue("setting server.address", host);
            argValue("setting server.address", httpBase);
            argValue("setting server.address", apiBase);
            word("setting ipxe.kernel", kernel);
            word("setting ipxe.initrd", initrd);
            for (String arg : words(extraArgs)) {
                word("setting ipxe.kernelArgs", arg);
            }
        }
    }

    /**
     * A script, and why the machine's own boot script was refused.
     *
     * @param text    the script to send
     * @param refused null, or which record field or setting could not go into a script, and why
     */
    record Script(String text, String refused) {
    }

    private IpxeScripts() {
    }

    static String forMachine(Hardware hw, MacAddress mac, boolean hasWork, Settings s) {
        return script(hw, mac, hasWork, s).text();
    }

    static Script script(Hardware hw, MacAddress mac, boolean hasWork, Settings s) {
        return script(hw, mac, hasWork, s, null);
    }

    /**
     * @param bootToken the machine's one-time boot token for the kernel command line, or null for none
     */
    static Script script(Hardware hw, MacAddress mac, boolean hasWork, Settings s, String bootToken) {
        HardwareInterface nic = hw.interfaceByMac(mac).orElse(null);
        if (nic == null || !nic.allowsPxe()) {
            return new Script(s.exitScript(), null);
        }
        String field = "field network.interfaces[" + hw.interfaces().indexOf(nic) + "].netboot.";
        try {
            Netboot netboot = nic.netboot();
            if (netboot != null && netboot.ipxe() != null) {
                String contents = netboot.ipxe().contents();
                if (contents != null && !contents.isBlank()) {
                    // a whole script is the record's own to write
                    return new Script(contents.startsWith("#!ipxe") ? contents : "#!ipxe\n" + contents, null);
                }
                String chain = netboot.ipxe().url();
                if (chain != null && !chain.isBlank()) {
                    return new Script("#!ipxe\nchain --autofree " + url(field + "ipxe.url", chain) + "\n", null);
                }
            }
            if (!hasWork) {
                return new Script(s.exitScript(), null);
            }
            s.checkWords();
            String kernel = s.httpBase() + "/artifacts/" + s.kernel();
            String initrd = s.httpBase() + "/artifacts/" + s.initrd();
            Netboot.Osie osie = netboot == null ? null : netboot.osie();
            if (osie != null && osie.baseUrl() != null && !osie.baseUrl().isBlank()) {
                String base = url(field + "osie.base_url", osie.baseUrl()).replaceAll("/+$", "");
                kernel = base + "/" + (osie.kernel() == null || osie.kernel().isBlank() ? "vmlinuz" : word(field + "osie.kernel", osie.kernel()));
                initrd = base + "/" + (osie.initrd() == null || osie.initrd().isBlank() ? "initramfs" : word(field + "osie.initrd", osie.initrd()));
            }
            String args = "initrd=initrd " + kernelArgs(hw, mac, s, bootToken);
            return new Script("#!ipxe\n"
                    + "echo Ironbell: booting the in-memory OS for " + mac + "\n"
                    + "kernel --name vmlinuz " + kernel + " " + args + "\n"
                    + "initrd --name initrd " + initrd + "\n"
                    + "boot\n", null);
        } catch (Unsafe e) {
            return refusal(mac, e.getMessage(), s.exitScript());
        }
    }

    /**
     * The in-memory OS's kernel parameters for this machine (without the initrd's): where its
     * worker finds the server and whom it trusts, who it is, its boot token, where it logs.
     *
     * @throws Unsafe naming the field or setting whose value cannot go on a kernel command line
     */
    static String kernelArgs(Hardware hw, MacAddress mac, Settings s, String bootToken) throws Unsafe {
        return "ironbell.server=" + s.apiBase() + " ironbell.worker=" + mac
                + (s.caPin() == null ? "" : " ironbell.ca=" + s.caPin())
                + (bootToken == null ? "" : " ironbell.boot_token=" + bootToken)
                + " ironbell.hardware=" + argValue("field id", hw.id()) + " syslog_host=" + s.host()
                + (s.extraArgs().isBlank() ? "" : " " + String.join(" ", words(s.extraArgs())));
    }

    /**
     * Says on the machine's console why it gets no boot script, then does what the exit script
     * does. The reason names a field or setting, never its value (which is what cannot be
     * written into a script).
     */
    private static Script refusal(MacAddress mac, String reason, String exitScript) {
        String rest = exitScript;
        if (rest.startsWith("#!ipxe")) {
            int nl = rest.indexOf('\n');
            rest = nl < 0 ? "" : rest.substring(nl + 1);
        }
        return new Script("#!ipxe\necho Ironbell: no boot script for " + mac + ": " + reason + "; see the server log\n" + rest, reason);
    }

    /** The words of a space-separated setting. */
    private static String[] words(String text) {
        String t = text.strip();
        return t.isEmpty() ? new String[0] : t.split(" +");
    }

    /** A value that stands as a word of an iPXE command of its own, such as a kernel argument. */
    static String word(String field, String value) throws Unsafe {
        printable(field, value);
        if (value.startsWith("#")) {
            throw new Unsafe(field + " starts with a hash sign, which iPXE reads as a comment");
        }
        if (value.equals("||") || value.equals("&&") || value.equals(";")) {
            throw new Unsafe(field + " is an iPXE command separator");
        }
        return value;
    }

    /** The URL an iPXE command takes first, where a word starting with a dash would be an option. */
    static String url(String field, String value) throws Unsafe {
        word(field, value);
        if (value.startsWith("-")) {
            throw new Unsafe(field + " starts with a dash, which iPXE reads as an option");
        }
        return value;
    }

    /**
     * A value after {@code name=} on the kernel command line; nothing in it is for iPXE to expand
     * (an expanded setting could bring whitespace back).
     */
    static String argValue(String field, String value) throws Unsafe {
        printable(field, value);
        if (value.indexOf('$') >= 0) {
            throw new Unsafe(field + " contains a dollar sign, which iPXE expands");
        }
        return value;
    }

    /** One word of printable ASCII without quotes (the kernel also splits at byte 0xA0, part of some UTF-8 letters). */
    private static void printable(String field, String value) throws Unsafe {
        if (value == null || value.isEmpty()) {
            throw new Unsafe(field + " is empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b) {
                throw new Unsafe(field + " contains whitespace");
            }
            if (c < 0x20 || c == 0x7f) {
                throw new Unsafe(field + " contains a control character");
            }
            if (c > 0x7e) {
                throw new Unsafe(field + " contains a character outside printable ASCII");
            }
            if (c == '"' || c == '\'') {
                throw new Unsafe(field + " contains a quote");
            }
        }
    }

    /** A value that cannot go into a script; the message names its field, not the value. */
    static final class Unsafe extends Exception {
        private static final long serialVersionUID = 1L;

        Unsafe(String message) {
            super(message, null, false, false);
        }
    }
}
