package io.ironbell.api.bmc;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/**
 * A machine's BMC, as Rufio's {@code Machine}: where it is, which driver speaks to it, where its
 * credentials are, and what it last said of the machine's power. The credentials are never part
 * of it: they are kept encrypted in the Secret named by {@code authSecretRef} (keys
 * {@code username} and {@code password}).
 *
 * @param name          the machine's name (a Rufio Machine's {@code metadata.name})
 * @param port          0 for the driver's default (623 for IPMI, 443 for Redfish)
 * @param driver        a driver's name ({@code ipmi}, {@code redfish}, a vendor's), or {@code auto} to probe
 * @param insecureTls   accept a certificate that does not verify (Rufio's {@code insecureTLS})
 * @param caPem         certificates trusted for this BMC besides the JVM's, or {@code null}
 * @param options       the driver's options: {@code cipherSuite}, {@code systemName}, {@code useBasicAuth}, ...
 * @param hardwareId    the hardware record this BMC powers, or {@code null}
 * @param powerState    what the BMC said last
 * @param contactable   whether the last call reached it, {@code null} before the first
 * @param message       why it was not contactable, or the last error
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BmcMachine(String name, String namespace, String host, int port, String driver, String authSecretRef,
        boolean insecureTls, String caPem, Map<String, String> options, String hardwareId, PowerState powerState,
        Instant powerCheckedAt, Boolean contactable, String message, Instant createdAt, Instant updatedAt) {

    /** The driver name that asks every driver, in ranking order, whether it speaks to this BMC. */
    public static final String AUTO = "auto";

    public BmcMachine {
        options = options == null ? Map.of() : Map.copyOf(options);
        driver = driver == null || driver.isBlank() ? AUTO : driver;
        powerState = powerState == null ? PowerState.UNKNOWN : powerState;
    }

    /** This machine as a new specification (no status, no times), for storing. */
    public static BmcMachine spec(String name, String namespace, String host, int port, String driver, String authSecretRef,
            boolean insecureTls, String caPem, Map<String, String> options, String hardwareId) {
        return new BmcMachine(name, namespace, host, port, driver, authSecretRef, insecureTls, caPem, options, hardwareId, null, null,
                null, null, null, null);
    }
}
