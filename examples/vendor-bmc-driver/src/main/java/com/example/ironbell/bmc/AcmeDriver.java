package com.example.ironbell.bmc;

import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Component;

/**
 * Acme's BMCs speak IPMI with a twist of their own (here: none, ipmitool does it all): a driver
 * named {@code acme}, found by machines whose driver is {@code acme}. Dropped into the server's
 * {@code deploy/}, it serves from the next BMC task on; removed, machines that need it fail their
 * tasks saying no such driver is deployed.
 */
@Component(service = BmcDriver.class, property = {BmcDriver.NAME + "=acme", "service.ranking:Integer=0"})
public final class AcmeDriver implements BmcDriver {

    @Override
    public BmcSession open(BmcEndpoint endpoint) {
        return new BmcSession() {
            @Override
            public PowerState powerState() throws BmcException {
                return ipmitool(endpoint, "chassis", "power", "status").contains("is on") ? PowerState.ON : PowerState.OFF;
            }

            @Override
            public void power(PowerAction action) throws BmcException {
                ipmitool(endpoint, "chassis", "power", action == PowerAction.STATUS ? "status" : action.wire());
            }

            @Override
            public void bootDevice(BootDevice device, boolean persistent, boolean efi) throws BmcException {
                ipmitool(endpoint, "chassis", "bootdev", device.wire());
            }

            @Override
            public void close() {
            }
        };
    }

    private static String ipmitool(BmcEndpoint e, String... command) throws BmcException {
        List<String> argv = new ArrayList<>(List.of("ipmitool", "-I", "lanplus", "-H", e.host(), "-p", Integer.toString(e.port()), "-U",
                e.username(), "-E", "-C", "3", "-N", "1", "-R", "1"));
        argv.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("IPMI_PASSWORD", e.password());
        try {
            Process p = pb.start();
            if (!p.waitFor(e.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new BmcException(BmcException.Reason.TIMEOUT, "acme: no answer from " + e.host());
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new BmcException(BmcException.Reason.REFUSED, "acme: " + out.strip());
            }
            return "acme: " + out;
        } catch (IOException ex) {
            throw new BmcException(BmcException.Reason.CONFIG, "acme: cannot run ipmitool: " + ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new BmcException(BmcException.Reason.TIMEOUT, "acme: interrupted");
        }
    }
}
