package io.ironbell.api.bmc;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Serves a bootable image of the in-memory OS for one machine, for a BMC to insert as virtual
 * media: registered by the bundle that serves the in-memory OS.
 */
@ConsumerType
public interface BootMedia {

    /**
     * A URL the machine's BMC can fetch without credentials (the URL itself carries a short-lived
     * secret), of an ISO that boots the in-memory OS with this machine's kernel parameters (BIOS
     * and UEFI); empty when this server has no ISO to serve.
     */
    Optional<String> isoUrl(String hardwareId) throws BmcException;
}
