package io.ironbell.api.bmc;

import java.util.List;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What the REST API, the CLI, the shell and {@code apply} drive: BMC machines with their
 * credentials, jobs, one-shot commands (a job of one task) and the drivers there are.
 */
@ProviderType
public interface BmcService {

    /**
     * Creates or replaces a machine. With {@code username} and {@code password} given they are
     * stored encrypted, in a Secret named {@code <machine>-bmc-auth} that becomes the machine's
     * {@code authSecretRef}; without them the machine's {@code authSecretRef} names a Secret (one
     * that does not exist yet is allowed, as Rufio allows it: the machine's tasks fail saying so).
     */
    BmcMachine putMachine(BmcMachine machine, String username, String password) throws BmcServiceException;

    BmcMachine machine(String nameOrHardware) throws BmcServiceException;

    List<BmcMachine> machines() throws BmcServiceException;

    void deleteMachine(String name) throws BmcServiceException;

    /** Checks and stores a job; it runs as soon as its machine runs no other. */
    BmcJob createJob(BmcJob job) throws BmcServiceException;

    BmcJob job(String id) throws BmcServiceException;

    /** Jobs, newest first, of one machine or ({@code null}) of all. */
    List<BmcJob> jobs(String machine, int limit) throws BmcServiceException;

    void deleteJob(String id) throws BmcServiceException;

    List<BmcJobEvent> events(String jobId, long after, int limit) throws BmcServiceException;

    /**
     * Calls {@code listener} with each event of the job from sequence {@code after} on, from any
     * server instance, until the handle is closed.
     */
    AutoCloseable subscribe(String jobId, long after, Consumer<BmcJobEvent> listener) throws BmcServiceException;

    /**
     * What the machine's BMC knows of it (vendor, model, serial, BIOS version...), read now;
     * {@code INVALID} with the reason when the BMC cannot say (unreachable, no such read in its dialect).
     */
    java.util.Map<String, String> inventory(String machine) throws BmcServiceException;

    /** The machine's sensors as its BMC reads them now; {@code INVALID} with the reason as {@link #inventory}. */
    List<SensorReading> sensors(String machine) throws BmcServiceException;

    /** The drivers deployed, by name, highest ranking first. */
    List<String> drivers();
}
