package io.ironbell.api.bmc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A BMC dialect (IPMI, Redfish, a vendor's own), registered as a service with the property
 * {@value #NAME} holding the name machines give as their {@code driver}. When two drivers have
 * one name the one with the higher {@code service.ranking} serves; a machine with the driver
 * {@code auto} is served by the first driver, in ranking order, whose {@link #probe} answers yes.
 * A driver deployed or removed at run time is used, or no longer used, from the next task on.
 *
 * <p>Every call must end within the endpoint's {@link BmcEndpoint#timeout()}: a BMC that hangs
 * costs its own machine a failed task, never a thread that others wait for.
 */
@ConsumerType
public interface BmcDriver {

    /** The service property that names the driver ({@code ipmi}, {@code redfish}). */
    String NAME = "bmc.driver";

    /** Opens a session to the BMC, authenticated; the caller closes it. */
    BmcSession open(BmcEndpoint endpoint) throws BmcException;

    /**
     * Tells whether the BMC at this endpoint speaks this driver's protocol (for machines whose
     * driver is {@code auto}); must not change anything on the machine. No by default.
     */
    default boolean probe(BmcEndpoint endpoint) {
        return false;
    }
}
