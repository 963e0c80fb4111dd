package io.ironbell.bmc.ipmi.internal;

import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * IPMI 2.0 over LAN (RMCP+), the driver named {@code ipmi}, with Debian's {@code ipmitool} as
 * its transport — the tool Rufio's bmclib drives too, with SHA-256 (suite 17) proven in the field.
 * A machine's {@code cipherSuite} option picks the suite (3 by default); a suite not in
 * {@code ipmi.cipherSuites} is refused before anything is sent, and suite 0 always, for it
 * accepts any password. {@link #probe} sends an RMCP presence ping (ASF), which needs no credentials.
 */
@Component(configurationPid = IpmiDriver.PID, service = BmcDriver.class, property = {BmcDriver.NAME + "=ipmi", "service.ranking:Integer=0"})
@Designate(ocd = IpmiDriver.Config.class)
public final class IpmiDriver implements BmcDriver {

    static final String PID = "io.ironbell.ipmi";

    @ObjectClassDefinition(name = "Ironbell IPMI driver", description = "ipmi.* keys")
    public @interface Config {
        @AttributeDefinition(description = "the ipmitool program")
        String tool() default "ipmitool";

        @AttributeDefinition(description = "cipher suites a machine may use, comma-separated; 0 is never allowed")
        String cipherSuites() default "3,8,12,17";

        @AttributeDefinition(description = "retransmissions within one call, one second apart")
        int retries() default 2;
    }

    private volatile Config config;

    @Activate
    public IpmiDriver(Config config) {
        this.config = config;
    }

    @Modified
    void modified(Config changed) {
        this.config = changed;
    }

    @Override
    public BmcSession open(BmcEndpoint endpoint) throws BmcException {
        Config c = config;
        int suite = cipherSuite(endpoint, c);
        if (endpoint.password() == null || endpoint.password().isEmpty()) {
            throw new BmcException(Reason.CONFIG, "no password for the BMC at " + endpoint.host() + " (its Secret has no 'password')");
        }
        return new IpmiSession(new Ipmitool(c.tool(), endpoint, suite, Math.max(0, c.retries())));
    }

    static int cipherSuite(BmcEndpoint endpoint, Config c) throws BmcException {
        String given = endpoint.option("cipherSuite", "3").strip();
        int suite;
        try {
            suite = Integer.parseInt(given);
        } catch (NumberFormatException e) {
            throw new BmcException(Reason.CONFIG, "cipherSuite '" + given + "' is not a number");
        }
        if (suite == 0) {
            throw new BmcException(Reason.CONFIG, "cipher suite 0 authenticates nothing (any password is accepted): refused");
        }
        Set<Integer> allowed = new TreeSet<>();
        for (String s : c.cipherSuites().split(",")) {
            if (!s.isBlank()) {
                allowed.add(Integer.parseInt(s.strip()));
            }
        }
        allowed.remove(0);
        if (!allowed.contains(suite)) {
            throw new BmcException(Reason.CONFIG, "cipher suite " + suite + " is not allowed (ipmi.cipherSuites: " + allowed + ")");
        }
        return suite;
    }

    @Override
    public boolean probe(BmcEndpoint endpoint) {
        byte[] ping = {6, 0, (byte) 0xff, 6, 0, 0, 0x11, (byte) 0xbe, (byte) 0x80, 0x49, 0, 0};
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout((int) Math.min(3000, endpoint.timeout().toMillis()));
            s.send(new DatagramPacket(ping, ping.length, new InetSocketAddress(endpoint.host(), endpoint.port() == 0 ? 623 : endpoint.port())));
            byte[] buf = new byte[64];
            DatagramPacket pong = new DatagramPacket(buf, buf.length);
            s.receive(pong);
            // RMCP, ASF class, IANA 4542, message type 0x40 (pong), our tag
            return pong.getLength() >= 12 && buf[0] == 6 && buf[3] == 6 && Arrays.equals(Arrays.copyOfRange(buf, 4, 8),
                    new byte[] {0, 0, 0x11, (byte) 0xbe}) && buf[8] == 0x40 && buf[9] == 0x49;
        } catch (IOException e) {
            return false;
        }
    }
}
