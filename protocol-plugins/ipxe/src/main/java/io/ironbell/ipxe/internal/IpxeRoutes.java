package io.ironbell.ipxe.internal;

import io.ironbell.api.auth.MachineCredentials;
import io.ironbell.api.discovery.DiscoveryService;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.http.HttpEndpoint;
import io.ironbell.api.http.HttpException;
import io.ironbell.api.http.HttpRequest;
import io.ironbell.api.http.HttpResponse;
import io.ironbell.api.http.HttpRoute;
import io.ironbell.api.http.HttpRouteService;
import io.ironbell.api.metrics.MetricSet;
import io.ironbell.api.metrics.MetricWriter;
import io.ironbell.api.store.StoreException;
import io.ironbell.protocol.support.Tally;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /ipxe/{mac}/auto.ipxe} and {@code GET /ipxe/auto.ipxe} (found by the caller's
 * address): the machine's iPXE script, answered from memory on the network thread; a machine
 * without an unfinished workflow is sent to its next boot device ({@link PendingWork}). With
 * discovery on, a MAC no record names gets one (a few database writes, once per machine) and,
 * like a machine waiting for enrollment, the in-memory OS. Its typed
 * configuration merges server.* and ipxe.*; settings that cannot go into a script stop it from
 * starting. A record whose values cannot ({@link IpxeScripts}) is counted and logged, once per
 * 10 s at most, since anyone may ask for any machine's script.
 */
@Component(service = {HttpRoute.class, MetricSet.class}, configurationPid = {"io.ironbell.server", IpxeRoutes.PID})
@HttpRouteService(path = {"/ipxe/{mac}/auto.ipxe", "/ipxe/auto.ipxe"}, inline = true, plain = true)
public final class IpxeRoutes implements HttpRoute, MetricSet {

    static final String PID = "io.ironbell.ipxe";

    private static final Logger LOG = LoggerFactory.getLogger(IpxeRoutes.class);

    @ObjectClassDefinition(name = "Ironbell iPXE", description = "ipxe.* keys, and server.address")
    public @interface Config {
        @AttributeDefinition(description = "server.address; empty: the address the machine reached the server at")
        String address() default "";

        @AttributeDefinition(description = "kernel of the in-memory OS, under the artifacts directory")
        String kernel() default "osie/vmlinuz";

        @AttributeDefinition(description = "initramfs of the in-memory OS, under the artifacts directory")
        String initrd() default "osie/initramfs";

        @AttributeDefinition(description = "more kernel arguments")
        String kernelArgs() default "console=tty0 console=ttyS0,115200";

        @AttributeDefinition(description = "what a machine that must not boot from the network gets")
        String exitScript() default "#!ipxe\necho Ironbell: no network boot for this machine; trying the next boot device\nexit\n";
    }

    private final Config config;
    private final HardwareLookup lookup;

    /** Discovery, when it runs: unknown MACs get a record and the in-memory OS. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile DiscoveryService discovery;
    private final HttpEndpoint http;
    private final PendingWork work;
    private final MachineCredentials credentials;
    private final LongAdder scripts = new LongAdder();
    private final LongAdder bootScripts = new LongAdder();
    private final Tally refused = new Tally(Duration.ofSeconds(10));

    /**
     * @throws IllegalArgumentException naming the setting that cannot go into a script
     */
    @Activate
    public IpxeRoutes(Config config, @Reference HardwareLookup lookup, @Reference HttpEndpoint http, @Reference PendingWork work,
                      @Reference MachineCredentials credentials) {
        this.config = config;
        this.credentials = credentials;
        this.lookup = lookup;
        this.http = http;
        this.work = work;
        String host = config.address().isBlank() ? "0.0.0.0" : config.address();
        settings(host).check();
    }

    private IpxeScripts.Settings settings(String host) {
        return new IpxeScripts.Settings(host, http.url(host, ""), config.kernel(), config.initrd(), config.kernelArgs(), config.exitScript(),
                http.secureUrl(host, ""), http.trustAnchor().orElse(null));
    }

    @Override
    public HttpResponse handle(HttpRequest r) throws HttpException {
        Hardware hw;
        MacAddress mac;
        String key = r.pathParams().get("mac");
        if (key != null) {
            try {
                mac = MacAddress.parse(key);
            } catch (IllegalArgumentException e) {
                throw HttpException.badRequest(e.getMessage());
            }
            Optional<Hardware> known = lookup.byMac(mac);
            hw = known.isPresent() ? adopted(known.get(), mac, r) : enlist(mac, r);
        } else {
            hw = lookup.byIp(r.remoteAddress().getAddress()).orElseThrow(() ->
                    HttpException.notFound("no hardware with address " + r.remoteAddress().getAddress().getHostAddress()));
            mac = hw.interfaces().stream().map(i -> i.macAddress()).filter(m -> m != null).findFirst()
                    .orElseThrow(() -> HttpException.notFound("hardware " + hw.id() + " has no MAC address"));
        }
        String host = config.address().isBlank() ? r.localAddress().getAddress().getHostAddress() : config.address();
        boolean hasWork = work.hasWork(hw, mac) || discovering(hw);
        // a new boot token with every script: only the one the machine's worker exchanges first counts
        String bootToken = null;
        if (hasWork) {
            try {
                bootToken = credentials.issueBootToken(hw.id());
            } catch (StoreException e) {
                throw new HttpException(503, "unavailable", "no boot token for " + mac + " now (the database is away); iPXE tries again");
            }
        }
        IpxeScripts.Script script = IpxeScripts.script(hw, mac, hasWork, settings(host), bootToken);
        scripts.increment();
        if (script.refused() != null) {
            long held = refused.add();
            if (held >= 0) {
                LOG.warn("iPXE: no boot script for {} (hardware {}): {}; it gets the exit script{}", mac, printable(hw.id()),
                        script.refused(), Tally.more(held));
            }
        } else if (hasWork) {
            bootScripts.increment();
        }
        // 200 even when refused: iPXE runs only a script it got with 2xx, and this one says why on the console
        return HttpResponse.of(200, "text/plain; charset=utf-8", script.text().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A record that names the MAC without an address: its pool lease becomes its reservation
     * (discovery's to do, when its bundle runs), or its worker, known by its record's address,
     * could not ask for work.
     */
    private Hardware adopted(Hardware hw, MacAddress mac, HttpRequest r) {
        DiscoveryService d = discovery;
        boolean addressless = hw.interfaceByMac(mac).map(i -> i.dhcp() != null && (i.dhcp().ip() == null || i.dhcp().ip().address() == null
                || i.dhcp().ip().address().isBlank())).orElse(false);
        if (d == null || !addressless) {
            return hw;
        }
        try {
            return d.enlist(mac, r.remoteAddress().getAddress());
        } catch (StoreException e) {
            LOG.warn("iPXE: {} (hardware {}) has no address, and its lease did not become its reservation: {}", mac, printable(hw.id()),
                    e.getMessage());
            return hw;
        }
    }

    /** A machine no record names: discovery makes its record, when it is on; else 404. */
    private Hardware enlist(MacAddress mac, HttpRequest r) throws HttpException {
        DiscoveryService d = discovery;
        if (d == null || !d.enabled()) {
            throw HttpException.notFound("no hardware with MAC " + mac);
        }
        try {
            return d.enlist(mac, r.remoteAddress().getAddress());
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.UNAVAILABLE) {
                throw new HttpException(503, "unavailable", "no record for " + mac + " now (the database is away); iPXE tries again");
            }
            throw new HttpException(403, "forbidden", e.getMessage());
        }
    }

    /** Whether a machine boots the in-memory OS to be discovered: it waits for enrollment. */
    private boolean discovering(Hardware hw) {
        DiscoveryService d = discovery;
        try {
            return d != null && d.enabled() && d.waiting(hw.id());
        } catch (StoreException e) {
            return true; // as for work: booting for nothing costs minutes, sending it away a whole cycle
        }
    }

    /** A record's id for a log line: escaped, so that it cannot forge lines, and cut short. */
    static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '\\' ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return i < s.length() ? b + "..." : b.toString();
    }

    @Override
    public void collect(MetricWriter writer) {
        writer.counter("ironbell_ipxe_scripts_total", "iPXE scripts served", scripts.sum());
        writer.counter("ironbell_ipxe_work_scripts_total", "iPXE scripts served to machines with unfinished work", bootScripts.sum());
        writer.counter("ironbell_ipxe_refused_total", "iPXE boot scripts refused: a record value that cannot go into a script "
                + "(whitespace, quotes, control characters); the machine got the exit script", refused.sum());
    }
}
