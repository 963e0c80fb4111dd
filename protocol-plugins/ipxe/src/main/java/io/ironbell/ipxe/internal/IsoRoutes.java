package io.ironbell.ipxe.internal;

import io.ironbell.api.auth.MachineCredentials;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BootMedia;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The in-memory OS as a bootable ISO for a BMC's virtual media: {@code GET
 * /iso/{token}/ironbell.iso} serves the distribution's ISO (BIOS and UEFI, built by
 * {@code iso.sh}) with this machine's kernel parameters written over its placeholder in both boot
 * loaders' configs, in every range a BMC asks for (as Tinkerbell's Smee patches its ISO per MAC,
 * without Smee's misses: a placeholder across two reads or a range boundary). The token is the
 * machine's boot token: BMCs fetch without credentials, so the URL is the secret, it expires with
 * the token, and the worker exchanges that same token once it booted. Also the {@link BootMedia}
 * that workflows with {@code bootMode: isoboot} insert.
 */
@Component(service = {HttpRoute.class, BootMedia.class}, configurationPid = {"io.ironbell.server", IpxeRoutes.PID, FileRoutes.PID})
@HttpRouteService(path = "/iso/{token}/{name}", methods = {"GET", "HEAD"}, plain = true)
public final class IsoRoutes implements HttpRoute, BootMedia {

    /** What {@code iso.sh} writes in place of the kernel parameters: 1024 bytes. */
    static final byte[] PLACEHOLDER = ("IRONBELL-KERNEL-PARAMETERS" + "#".repeat(998)).getBytes(StandardCharsets.US_ASCII);
    static final String NAME = "ironbell.iso";

    @ObjectClassDefinition(name = "Ironbell boot ISO", description = "ipxe.iso, ipxe.isoUrlBase, and the server.*, ipxe.* and artifacts.* keys")
    public @interface Config {
        @AttributeDefinition(description = "server.address; empty: this server's address on the machine's subnet")
        String address() default "";

        @AttributeDefinition(description = "more kernel arguments")
        String kernelArgs() default "console=tty0 console=ttyS0,115200";

        @AttributeDefinition(description = "artifacts.dir")
        String dir() default "data/artifacts";

        @AttributeDefinition(description = "the ISO under artifacts.dir")
        String iso() default "osie/ironbell.iso";

        @AttributeDefinition(description = "the URL BMCs fetch ISOs under (e.g. http://10.0.0.5:8080 on their management network); "
                + "empty: this server's plain-HTTP URL at its address on the machine's subnet")
        String isoUrlBase() default "";
    }

    private record Placeholders(Path file, long size, long modified, List<Long> offsets) {
    }

    private final Config config;
    private final HardwareLookup lookup;
    private final HttpEndpoint http;
    private final MachineCredentials credentials;
    private final Path iso;
    private volatile Placeholders placeholders;

    @Activate
    public IsoRoutes(Config config, @Reference HardwareLookup lookup, @Reference HttpEndpoint http, @Reference MachineCredentials credentials,
            BundleContext context) {
        this.config = config;
        this.lookup = lookup;
        this.http = http;
        this.credentials = credentials;
        String home = context.getProperty("ironbell.home");
        Path dir = Path.of(config.dir());
        Path artifacts = (dir.isAbsolute() || home == null ? dir : Path.of(home).resolve(dir)).toAbsolutePath().normalize();
        this.iso = artifacts.resolve(config.iso()).normalize();
    }

    @Override
    public Optional<String> isoUrl(String hardwareId) throws BmcException {
        if (!Files.isRegularFile(iso)) {
            return Optional.empty();
        }
        Hardware hw = lookup.byId(hardwareId).orElseThrow(() -> new BmcException(BmcException.Reason.CONFIG, "no hardware " + hardwareId));
        String token;
        try {
            token = credentials.issueBootToken(hw.id());
        } catch (StoreException e) {
            throw new BmcException(BmcException.Reason.UNREACHABLE, "no boot token for " + hw.id() + " now: " + e.getMessage());
        }
        String base = config.isoUrlBase().isBlank() ? http.url(host(hw, null), "") : config.isoUrlBase().replaceAll("/+$", "");
        return Optional.of(base + "/iso/" + token + "/" + NAME);
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        if (!NAME.equals(r.pathParams().get("name"))) {
            throw HttpException.notFound("no such file: " + r.pathParams().get("name"));
        }
        // 404 for any token that is not a live one: nothing said about which machines exist
        String hardwareId = credentials.bootTokenHardware(r.pathParams().get("token"))
                .orElseThrow(() -> HttpException.notFound("no ISO at this link (it expired, or never was)"));
        Hardware hw = lookup.byId(hardwareId).orElseThrow(() -> HttpException.notFound("no ISO at this link (its machine is gone)"));
        MacAddress mac = hw.interfaces().stream().map(HardwareInterface::macAddress).filter(m -> m != null).findFirst()
                .orElseThrow(() -> HttpException.notFound("hardware " + hw.id() + " has no MAC address"));
        if (!Files.isRegularFile(iso)) {
            throw HttpException.notFound("this server has no boot ISO (" + iso + ": build the distribution with xorriso installed)");
        }
        List<Long> offsets;
        try {
            offsets = placeholders();
        } catch (IOException e) {
            throw new HttpException(500, "internal_error", "cannot read " + iso.getFileName() + ": " + e.getMessage());
        }
        String host = host(hw, r.localAddress().getAddress());
        String args;
        try {
            args = IpxeScripts.kernelArgs(hw, mac, new IpxeScripts.Settings(host, http.url(host, ""), "", "", config.kernelArgs(), "",
                    http.secureUrl(host, ""), http.trustAnchor().orElse(null)), r.pathParams().get("token"));
        } catch (IpxeScripts.Unsafe e) {
            throw new HttpException(500, "internal_error", "no ISO for " + mac + ": " + e.getMessage());
        }
        byte[] patch = args.getBytes(StandardCharsets.US_ASCII);
        if (patch.length > PLACEHOLDER.length) {
            throw new HttpException(500, "internal_error", "the kernel parameters of " + mac + " take " + patch.length
                    + " bytes; the ISO has room for " + PLACEHOLDER.length + " (shorten ipxe.kernelArgs)");
        }
        byte[] padded = Arrays.copyOf(patch, PLACEHOLDER.length);
        Arrays.fill(padded, patch.length, padded.length, (byte) ' ');
        Map<Long, byte[]> overlay = new LinkedHashMap<>();
        offsets.forEach(o -> overlay.put(o, padded));
        return HttpResponse.file(iso, "application/x-iso9660-image", overlay).withHeader("Cache-Control", "no-store");
    }

    /** Where the placeholder is in the ISO: found once per file version (two hits: isolinux.cfg and grub.cfg). */
    private List<Long> placeholders() throws IOException {
        long size = Files.size(iso);
        long modified = Files.getLastModifiedTime(iso).toMillis();
        Placeholders p = placeholders;
        if (p != null && p.size() == size && p.modified() == modified) {
            return p.offsets();
        }
        List<Long> found = new ArrayList<>();
        byte[] buf = new byte[1 << 20];
        long base = 0;
        int keep = 0;
        try (InputStream in = Files.newInputStream(iso)) {
            while (true) {
                int n = in.readNBytes(buf, keep, buf.length - keep);
                int len = keep + n;
                for (int i = 0; i + PLACEHOLDER.length <= len; i++) {
                    if (buf[i] == PLACEHOLDER[0] && Arrays.equals(buf, i, i + PLACEHOLDER.length, PLACEHOLDER, 0, PLACEHOLDER.length)) {
                        found.add(base + i);
                        i += PLACEHOLDER.length - 1;
                    }
                }
                if (n == 0) {
                    break;
                }
                // keep the tail that could begin a placeholder cut by the buffer's end
                keep = Math.min(PLACEHOLDER.length - 1, len);
                System.arraycopy(buf, len - keep, buf, 0, keep);
                base += len - keep;
            }
        }
        if (found.isEmpty()) {
            throw new IOException("no kernel-parameter placeholder in it (not built by iso.sh?)");
        }
        placeholders = new Placeholders(iso, size, modified, Collections.unmodifiableList(found));
        return found;
    }

    /** This server's address for the machine: the configured one, else one on a subnet of the machine's, else {@code fallback}'s. */
    private String host(Hardware hw, InetAddress fallback) {
        if (!config.address().isBlank()) {
            return config.address();
        }
        try {
            for (HardwareInterface i : hw.interfaces()) {
                if (i.dhcp() == null || i.dhcp().ip() == null || i.dhcp().ip().address() == null) {
                    continue;
                }
                InetAddress machine = InetAddress.getByName(i.dhcp().ip().address());
                for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    for (InterfaceAddress a : nic.getInterfaceAddresses()) {
                        if (a.getAddress() instanceof Inet4Address && sameSubnet(a.getAddress(), machine, a.getNetworkPrefixLength())) {
                            return a.getAddress().getHostAddress();
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // no address found by subnet: the fallback
        }
        if (fallback != null) {
            return fallback.getHostAddress();
        }
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            // none
        }
        return "127.0.0.1";
    }

    private static boolean sameSubnet(InetAddress a, InetAddress b, int prefix) {
        byte[] x = a.getAddress();
        byte[] y = b.getAddress();
        if (x.length != y.length || prefix <= 0) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((x[bit / 8] & mask) != (y[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
