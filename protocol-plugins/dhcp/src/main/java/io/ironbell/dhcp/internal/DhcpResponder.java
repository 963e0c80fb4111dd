package io.ironbell.dhcp.internal;

import io.ironbell.api.dhcp.AddressPool;
import io.ironbell.api.hardware.Dhcp;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.IpConfig;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.hardware.Netboot;
import io.ironbell.dhcp.codec.DhcpMessage;
import io.ironbell.dhcp.codec.DhcpOptions;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What the DHCP server answers, from memory: a pure function of the request, the hardware record
 * its MAC belongs to, and the server's settings. Unknown MACs and disabled interfaces get no
 * answer. In reservation mode a machine gets its reserved address and network options; in proxy
 * mode (PXE spec §2.2.3, beside another DHCP server that hands out addresses) a netboot client
 * gets only the boot options: an offer without an address on port 67, and an acknowledgement to
 * its request on the boot-server port (4011).
 */
final class DhcpResponder {

    /** Lease time when the record names none. */
    static final long DEFAULT_LEASE_SECONDS = 86_400;

    /**
     * The server's side of the conversation.
     *
     * @param serverAddress the address machines reach Ironbell at: server id, next-server
     * @param httpBase      base URL of Ironbell's HTTP server, e.g. {@code http://10.0.0.1:8080}
     * @param proxy         proxy mode: boot options only, never an address
     * @param discovery     whether machines no record names netboot now (discovery.enabled): they boot the in-memory OS
     *                      and report what they are
     */
    record Settings(Inet4Address serverAddress, String httpBase, boolean proxy, BooleanSupplier discovery) {
        Settings(Inet4Address serverAddress, String httpBase, boolean proxy) {
            this(serverAddress, httpBase, proxy, () -> false);
        }
    }

    private final Settings settings;

    DhcpResponder(Settings settings) {
        this.settings = settings;
    }

    /** The reply to a request that came to the DHCP port, if any. */
    Optional<DhcpMessage> respond(DhcpMessage request, Optional<Hardware> hardware) {
        return respond(request, hardware, false);
    }

    /**
     * The reply to send, if any.
     *
     * @param bootServerPort whether the request came to the PXE boot-server port (4011)
     */
    Optional<DhcpMessage> respond(DhcpMessage request, Optional<Hardware> hardware, boolean bootServerPort) {
        if (request.op() != DhcpMessage.BOOTREQUEST || request.messageType().isEmpty() || request.clientMac().isEmpty()) {
            return Optional.empty();
        }
        MacAddress mac = request.clientMac().get();
        if (hardware.isEmpty()) {
            // an unknown machine that has its address from a pool may ask the boot server; in proxy mode it is not
            // netbooted, for it could not be enlisted (its address, another server's, cannot be checked to be its own)
            return settings.discovery().getAsBoolean() && bootServerPort && !settings.proxy()
                    ? proxyAnswer(request, unknownMachine(mac, null), true) : Optional.empty();
        }
        HardwareInterface nic = hardware.get().interfaceByMac(mac).orElse(null);
        if (nic == null || nic.dhcp() == null || Boolean.TRUE.equals(nic.dhcp().disabled())) {
            return Optional.empty();
        }
        if (settings.proxy() || bootServerPort) {
            return proxyAnswer(request, nic, bootServerPort);
        }
        Inet4Address reserved = ipv4(nic.dhcp().ip() == null ? null : nic.dhcp().ip().address());
        int type = request.messageType().get();
        return switch (type) {
            case DhcpMessage.DISCOVER -> reserved == null ? Optional.empty() : Optional.of(reply(request, nic, reserved, DhcpMessage.OFFER));
            case DhcpMessage.REQUEST -> {
                if (reserved == null) {
                    yield Optional.empty();
                }
                Inet4Address asked = request.options().address(DhcpOptions.REQUESTED_IP).orElse(request.ciaddr());
                Optional<Inet4Address> serverId = request.options().address(DhcpOptions.SERVER_ID);
                if (serverId.isPresent() && !serverId.get().equals(settings.serverAddress())) {
                    yield Optional.empty(); // the client chose another server's offer
                }
                yield Optional.of(asked.isAnyLocalAddress() || asked.equals(reserved)
                        ? reply(request, nic, reserved, DhcpMessage.ACK) : nak(request));
            }
            case DhcpMessage.INFORM -> Optional.of(reply(request, nic, null, DhcpMessage.ACK));
            default -> Optional.empty(); // RELEASE and DECLINE are recorded, not answered
        };
    }

    /**
     * Proxy DHCP: a netboot client allowed to boot gets an offer without an address to its
     * DISCOVER, and an ACK to a REQUEST sent to the boot-server port or naming this server; the
     * requests meant for the address-giving server are left to it.
     */
    private Optional<DhcpMessage> proxyAnswer(DhcpMessage request, HardwareInterface nic, boolean bootServerPort) {
        if (!isNetbootClient(request) || !nic.allowsPxe()) {
            return Optional.empty();
        }
        int type = request.messageType().get();
        if (type == DhcpMessage.DISCOVER && !bootServerPort) {
            return Optional.of(bootOnly(request, nic, DhcpMessage.OFFER));
        }
        if (type == DhcpMessage.REQUEST || type == DhcpMessage.INFORM) {
            Optional<Inet4Address> serverId = request.options().address(DhcpOptions.SERVER_ID);
            if (bootServerPort || serverId.isPresent() && serverId.get().equals(settings.serverAddress())) {
                return Optional.of(bootOnly(request, nic, DhcpMessage.ACK));
            }
        }
        return Optional.empty();
    }

    private DhcpMessage bootOnly(DhcpMessage req, HardwareInterface nic, int type) {
        DhcpOptions.Builder o = DhcpOptions.builder();
        o.u8(DhcpOptions.MESSAGE_TYPE, type);
        o.addresses(DhcpOptions.SERVER_ID, List.of(settings.serverAddress()));
        BootOptions boot = bootOptions(req, nic, o);
        return new DhcpMessage(DhcpMessage.BOOTREPLY, req.htype(), req.hlen(), 0, req.xid(), 0, req.flags(), req.ciaddr(),
                anyAddress(), boot.siaddr(), req.giaddr(), req.chaddr(), "", boot.file(), o.build());
    }

    /**
     * The reply giving a pool's address: the pool's network options, and boot options for a
     * netboot client that a record allows to netboot, or that discovery lets in.
     *
     * @param known the interface of the record that names the MAC without an address, or {@code null}
     * @param type  OFFER, or ACK to a REQUEST or (without an address) to an INFORM
     */
    DhcpMessage poolReply(DhcpMessage req, HardwareInterface known, AddressPool pool, Inet4Address yiaddr, int type) {
        Subnet net = Subnet.parse(pool.subnet());
        IpConfig ip = new IpConfig(yiaddr == null ? null : yiaddr.getHostAddress(), net.netmask().getHostAddress(), pool.router(), 4, null);
        Dhcp base = known == null ? null : known.dhcp();
        Dhcp d = new Dhcp(req.clientMac().orElseThrow().toString(), base == null ? null : base.hostname(), (long) pool.leaseSeconds(),
                null, null, null, pool.dns(), base == null ? null : base.timeServers(), ip, base == null ? null : base.domainName(),
                base == null ? null : base.domainSearch(), null, null, base == null ? null : base.tftpServerName(),
                base == null ? null : base.bootFileName(), null, null);
        HardwareInterface nic = known != null ? new HardwareInterface(d, known.netboot(), null) : unknownMachine(req.clientMac().get(), d);
        return reply(req, nic, yiaddr, type);
    }

    /** An interface no record names: it may netboot when discovery is on. */
    private HardwareInterface unknownMachine(MacAddress mac, Dhcp dhcp) {
        Dhcp d = dhcp != null ? dhcp : new Dhcp(mac.toString(), null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
        boolean netboot = settings.discovery().getAsBoolean();
        return new HardwareInterface(d, new Netboot(netboot, netboot, null, null, null), null);
    }

    /** A NAK: the address the client asks for is not its own, or not on its network. */
    DhcpMessage refuse(DhcpMessage req) {
        return nak(req);
    }

    private DhcpMessage reply(DhcpMessage req, HardwareInterface nic, Inet4Address yiaddr, int type) {
        Dhcp d = nic.dhcp();
        DhcpOptions.Builder o = DhcpOptions.builder();
        o.u8(DhcpOptions.MESSAGE_TYPE, type);
        o.addresses(DhcpOptions.SERVER_ID, List.of(settings.serverAddress()));
        if (yiaddr != null) {
            long lease = d.leaseTime() == null || d.leaseTime() <= 0 ? DEFAULT_LEASE_SECONDS : d.leaseTime();
            o.u32(DhcpOptions.LEASE_TIME, lease);
            // RFC 2131 4.4.5's defaults, said outright: some clients renew only when told when
            o.u32(DhcpOptions.RENEWAL_TIME, lease / 2);
            o.u32(DhcpOptions.REBINDING_TIME, lease * 7 / 8);
        }
        // RFC 6842: the client identifier goes back as it came
        req.options().bytes(DhcpOptions.CLIENT_ID).ifPresent(id -> o.put(DhcpOptions.CLIENT_ID, id));
        Inet4Address mask = d.ip() == null ? null : ipv4(d.ip().netmask());
        if (mask != null) {
            o.addresses(DhcpOptions.SUBNET_MASK, List.of(mask));
            if (yiaddr != null) {
                o.addresses(DhcpOptions.BROADCAST, List.of(broadcast(yiaddr, mask)));
            }
        }
        Inet4Address router = d.ip() == null ? null : ipv4(d.ip().gateway());
        if (router != null) {
            o.addresses(DhcpOptions.ROUTER, List.of(router));
        }
        List<Inet4Address> dns = ipv4s(d.nameServers());
        if (!dns.isEmpty()) {
            o.addresses(DhcpOptions.DNS, dns);
        }
        List<Inet4Address> ntp = ipv4s(d.timeServers());
        if (!ntp.isEmpty()) {
            o.addresses(DhcpOptions.NTP, ntp);
        }
        if (d.hostname() != null && !d.hostname().isBlank()) {
            o.string(DhcpOptions.HOSTNAME, d.hostname());
        }
        if (d.domainName() != null && !d.domainName().isBlank()) {
            o.string(DhcpOptions.DOMAIN_NAME, d.domainName());
        }
        if (d.domainSearch() != null && !d.domainSearch().isEmpty()) {
            o.put(DhcpOptions.DOMAIN_SEARCH, dnsNames(d.domainSearch()));
        }
        byte[] routes = classlessRoutes(d.classlessStaticRoutes());
        if (routes.length > 0) {
            o.put(DhcpOptions.CLASSLESS_ROUTES, routes);
        }
        BootOptions boot = isNetbootClient(req) && nic.allowsPxe() ? bootOptions(req, nic, o) : BootOptions.NONE;
        return new DhcpMessage(DhcpMessage.BOOTREPLY, req.htype(), req.hlen(), 0, req.xid(), 0, req.flags(), req.ciaddr(),
                yiaddr == null ? anyAddress() : yiaddr, boot.siaddr(), req.giaddr(), req.chaddr(), "", boot.file(), o.build());
    }

    /** The next server and boot file of a netboot reply; its options go into {@code o}. */
    private record BootOptions(Inet4Address siaddr, String file) {
        static final BootOptions NONE = new BootOptions(anyAddress(), "");
    }

    private BootOptions bootOptions(DhcpMessage req, HardwareInterface nic, DhcpOptions.Builder o) {
        Dhcp d = nic.dhcp();
        Inet4Address siaddr = anyAddress();
        String file = "";
        int arch = req.options().u16(DhcpOptions.CLIENT_ARCH).orElse(0);
        boolean http = req.options().string(DhcpOptions.VENDOR_CLASS).orElse("").startsWith("HTTPClient");
        String mac = req.clientMac().orElseThrow().toString();
        if (isIpxe(req)) {
            file = nic.netboot() != null && nic.netboot().ipxe() != null && nic.netboot().ipxe().url() != null
                    && !nic.netboot().ipxe().url().isBlank() ? nic.netboot().ipxe().url()
                    : settings.httpBase() + "/ipxe/" + mac + "/auto.ipxe";
        } else {
            String binary = d.bootFileName() != null && !d.bootFileName().isBlank() ? d.bootFileName() : BootFiles.forArch(arch);
            if (binary != null) {
                file = http ? settings.httpBase() + "/ipxe/binaries/" + binary : binary;
            }
        }
        o.string(DhcpOptions.VENDOR_CLASS, http ? "HTTPClient" : "PXEClient");
        req.options().bytes(DhcpOptions.CLIENT_UUID).ifPresent(uuid -> o.put(DhcpOptions.CLIENT_UUID, uuid));
        if (!http) {
            // PXE vendor options: sub-option 6 = 8, boot the file given, skip PXE boot-server discovery
            o.put(DhcpOptions.VENDOR_SPECIFIC, new byte[] {6, 1, 8, (byte) 255});
            Inet4Address next = d.tftpServerName() == null ? null : ipv4(d.tftpServerName());
            siaddr = next != null ? next : settings.serverAddress();
        }
        return new BootOptions(siaddr, file.length() > 127 ? "" : file);
    }

    private DhcpMessage nak(DhcpMessage req) {
        DhcpOptions o = DhcpOptions.builder().u8(DhcpOptions.MESSAGE_TYPE, DhcpMessage.NAK)
                .addresses(DhcpOptions.SERVER_ID, List.of(settings.serverAddress())).build();
        // RFC 2131 4.3.2: a NAK through a relay has the broadcast bit set, so the relay broadcasts it
        int flags = req.giaddr().isAnyLocalAddress() ? req.flags() : req.flags() | DhcpMessage.FLAG_BROADCAST;
        return new DhcpMessage(DhcpMessage.BOOTREPLY, req.htype(), req.hlen(), 0, req.xid(), 0, flags, anyAddress(),
                anyAddress(), anyAddress(), req.giaddr(), req.chaddr(), "", "", o);
    }

    /** A PXE or UEFI HTTP Boot client: option 60 says so and option 93 is present (as Smee decides). */
    static boolean isNetbootClient(DhcpMessage m) {
        String vc = m.options().string(DhcpOptions.VENDOR_CLASS).orElse("");
        return (vc.startsWith("PXEClient") || vc.startsWith("HTTPClient")) && m.options().has(DhcpOptions.CLIENT_ARCH);
    }

    /** A client that already runs iPXE (user class "iPXE", or Ironbell's own build). */
    static boolean isIpxe(DhcpMessage m) {
        return m.options().userClasses().stream().anyMatch(c -> c.equals("iPXE") || c.equals("Ironbell"));
    }

    static Inet4Address broadcast(Inet4Address ip, Inet4Address mask) {
        byte[] a = ip.getAddress();
        byte[] m = mask.getAddress();
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (a[i] | ~m[i]);
        }
        return address(b);
    }

    /** Option 119: names in DNS wire format (RFC 3397), without compression. */
    static byte[] dnsNames(List<String> names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String name : names) {
            for (String label : name.split("\\.")) {
                if (label.isEmpty()) {
                    continue;
                }
                byte[] l = label.getBytes(StandardCharsets.US_ASCII);
                out.write(Math.min(l.length, 63));
                out.write(l, 0, Math.min(l.length, 63));
            }
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Option 121 (RFC 3442): width, the significant octets of the destination, the router. */
    static byte[] classlessRoutes(List<Dhcp.StaticRoute> routes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (routes == null) {
            return out.toByteArray();
        }
        for (Dhcp.StaticRoute r : routes) {
            if (r.destination() == null || r.router() == null || !r.destination().contains("/")) {
                continue;
            }
            String[] cidr = r.destination().split("/");
            Inet4Address dest = ipv4(cidr[0]);
            Inet4Address router = ipv4(r.router());
            int width;
            try {
                width = Integer.parseInt(cidr[1]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (dest == null || router == null || width < 0 || width > 32) {
                continue;
            }
            out.write(width);
            out.write(dest.getAddress(), 0, (width + 7) / 8);
            out.writeBytes(router.getAddress());
        }
        return out.toByteArray();
    }

    private static List<Inet4Address> ipv4s(List<String> texts) {
        List<Inet4Address> out = new ArrayList<>();
        if (texts != null) {
            for (String t : texts) {
                Inet4Address a = ipv4(t);
                if (a != null) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** A dotted IPv4 literal, or {@code null}; never a DNS lookup. */
    static Inet4Address ipv4(String text) {
        if (text == null || !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return null;
        }
        String[] p = text.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = Integer.parseInt(p[i]);
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return address(b);
    }

    private static Inet4Address anyAddress() {
        return address(new byte[4]);
    }

    private static Inet4Address address(byte[] b) {
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
