package io.ironbell.api.bmc;

import java.util.List;
import java.util.Map;

/**
 * An authenticated conversation with one BMC. Operations a dialect does not have throw
 * {@link BmcException.Reason#UNSUPPORTED}. Not shared between threads.
 */
public interface BmcSession extends AutoCloseable {

    /** Reads the chassis power state. */
    PowerState powerState() throws BmcException;

    /** Asks for a power change; returns once the BMC accepted it (the state may follow later). */
    void power(PowerAction action) throws BmcException;

    /** Sets the device the machine boots from next time, or every time when {@code persistent}. */
    void bootDevice(BootDevice device, boolean persistent, boolean efi) throws BmcException;

    /** Inserts the image at this URL as a virtual CD, ejecting whatever was in. */
    default void insertMedia(String url) throws BmcException {
        throw new BmcException(BmcException.Reason.UNSUPPORTED, "this BMC has no virtual media");
    }

    /** Ejects the virtual CD; nothing happens when none is in. */
    default void ejectMedia() throws BmcException {
        throw new BmcException(BmcException.Reason.UNSUPPORTED, "this BMC has no virtual media");
    }

    /** What the BMC knows of its machine (vendor, model, serial, BIOS version, ...), by name. */
    default Map<String, String> inventory() throws BmcException {
        throw new BmcException(BmcException.Reason.UNSUPPORTED, "this driver reads no inventory");
    }

    /** The BMC's sensors as they read now. */
    default List<SensorReading> sensors() throws BmcException {
        throw new BmcException(BmcException.Reason.UNSUPPORTED, "this driver reads no sensors");
    }

    /** Ends the session (logs out where the dialect has sessions); never throws. */
    @Override
    void close();
}
