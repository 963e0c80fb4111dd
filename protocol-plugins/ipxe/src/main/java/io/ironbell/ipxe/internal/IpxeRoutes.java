package io.ironbell.ipxe.internal;

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
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * {@code GET /ipxe/{mac}/auto.ipxe} and {@code GET /ipxe/auto.ipxe} (found by the caller's
 * address): the machine's iPXE script, answered from memory on the network thread; a machine
 * without an unfinished workflow is sent to its next boot device ({@link PendingWork}). Its typed
 * configuration merges server.* and ipxe.*.
 */
@Component(service = {HttpRoute.class, MetricSet.class}, configurationPid = {"io.ironbell.server", IpxeRoutes.PID})
@HttpRouteService(path = {"/ipxe/{mac}/auto.ipxe", "/ipxe/auto.ipxe"}, inline = true)
public final class IpxeRoutes implements HttpRoute, MetricSet {

    static final String PID = "io.ironbell.ipxe";

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
    private final HttpEndpoint http;
    private final PendingWork work;
    private final LongAdder scripts = new LongAdder();
    private final LongAdder bootScripts = new LongAdder();

    @Activate
    public IpxeRoutes(Config config, @Reference HardwareLookup lookup, @Reference HttpEndpoint http, @Reference PendingWork work) {
        this.config = config;
        this.lookup = lookup;
        this.http = http;
        this.work = work;
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
            hw = lookup.byMac(mac).orElseThrow(() -> HttpException.notFound("no hardware with MAC " + key));
        } else {
            hw = lookup.byIp(r.remoteAddress().getAddress()).orElseThrow(() ->
                    HttpException.notFound("no hardware with address " + r.remoteAddress().getAddress().getHostAddress()));
            mac = hw.interfaces().stream().map(i -> i.macAddress()).filter(m -> m != null).findFirst()
                    .orElseThrow(() -> HttpException.notFound("hardware " + hw.id() + " has no MAC address"));
        }
        String host = config.address().isBlank() ? r.localAddress().getAddress().getHostAddress() : config.address();
        IpxeScripts.Settings s = new IpxeScripts.Settings(host, http.url(host, ""), config.kernel(), config.initrd(),
                config.kernelArgs(), config.exitScript());
        boolean hasWork = work.hasWork(hw, mac);
        scripts.increment();
        if (hasWork) {
            bootScripts.increment();
        }
        return HttpResponse.of(200, "text/plain; charset=utf-8", IpxeScripts.forMachine(hw, mac, hasWork, s).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void collect(MetricWriter writer) {
        writer.counter("ironbell_ipxe_scripts_total", "iPXE scripts served", scripts.sum());
        writer.counter("ironbell_ipxe_work_scripts_total", "iPXE scripts served to machines with unfinished work", bootScripts.sum());
    }
}
