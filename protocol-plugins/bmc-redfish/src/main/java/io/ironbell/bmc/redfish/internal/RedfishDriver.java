package io.ironbell.bmc.redfish.internal;

import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import java.io.IOException;
import java.net.http.HttpClient;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Redfish (DMTF DSP0266) over HTTPS, the driver named {@code redfish}: ComputerSystem.Reset,
 * Boot.BootSourceOverride*, VirtualMedia InsertMedia/EjectMedia (or PATCH where a service lacks
 * the actions), task monitors, vendor quirks as data. Machine options: {@code systemName},
 * {@code useBasicAuth}, {@code taskTimeoutSeconds}, {@code scheme} ({@code http} for a BMC
 * without TLS). HTTP clients are kept per TLS choice, so polling a fleet reuses connections.
 */
@Component(configurationPid = RedfishDriver.PID, service = BmcDriver.class,
        property = {BmcDriver.NAME + "=redfish", "service.ranking:Integer=0"})
@Designate(ocd = RedfishDriver.Config.class)
public final class RedfishDriver implements BmcDriver {

    static final String PID = "io.ironbell.redfish";
    private static final int CLIENTS = 512;

    @ObjectClassDefinition(name = "Ironbell Redfish driver", description = "redfish.* keys")
    public @interface Config {
        @AttributeDefinition(description = "a JSON file of vendor quirks, read before the bundled ones; empty: the bundled ones only")
        String quirksFile() default "";
    }

    private volatile Quirks quirks;
    private final Map<String, HttpClient> clients = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, HttpClient> eldest) {
            return size() > CLIENTS;
        }
    };

    @Activate
    public RedfishDriver(Config config) throws IOException {
        this.quirks = Quirks.load(config.quirksFile());
    }

    @Modified
    void modified(Config config) throws IOException {
        this.quirks = Quirks.load(config.quirksFile());
    }

    @Override
    public BmcSession open(BmcEndpoint endpoint) throws BmcException {
        return new RedfishSession(new RedfishHttp(client(endpoint), endpoint), endpoint, quirks);
    }

    private HttpClient client(BmcEndpoint endpoint) throws BmcException {
        // by TLS choice only: each request carries its own timeout, so a deadline that varies call to call makes no new client
        String key = endpoint.insecureTls() + "|" + (endpoint.caPem() == null ? "" : endpoint.caPem());
        synchronized (clients) {
            HttpClient c = clients.get(key);
            if (c == null) {
                c = RedfishHttp.client(endpoint);
                clients.put(key, c);
            }
            return c;
        }
    }

    /** A service root that answers without credentials, as every Redfish service's does. */
    @Override
    public boolean probe(BmcEndpoint endpoint) {
        try {
            return new RedfishHttp(client(endpoint), endpoint).get("/redfish/v1/").body().has("RedfishVersion");
        } catch (BmcException e) {
            return e.reason() == Reason.AUTH;
        }
    }
}
