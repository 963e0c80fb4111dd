package io.ironbell.api.bmc;

import io.ironbell.api.store.StoreException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Keeps BMC machines and jobs in the database that every server instance shares. Jobs are
 * claimed with a lease, so that each runs on one instance and is taken over when that instance
 * dies; power polls are claimed the same way, so that a fleet is polled once, not once per server.
 */
@ProviderType
public interface BmcStore {

    /** Creates or replaces a machine's specification; its power status is kept. */
    BmcMachine putMachine(BmcMachine machine) throws StoreException;

    Optional<BmcMachine> machine(String name) throws StoreException;

    /** The BMC of this hardware record, if it has one. */
    Optional<BmcMachine> machineOf(String hardwareId) throws StoreException;

    /** Every machine, by name. */
    List<BmcMachine> machines() throws StoreException;

    /** Deletes a machine and its jobs; {@code NOT_FOUND} when there is none. */
    void deleteMachine(String name) throws StoreException;

    /** Records what a BMC said of its power (or that it could not be reached: {@code contactable} false). */
    void recordPower(String name, PowerState state, boolean contactable, String message) throws StoreException;

    /**
     * Claims up to {@code limit} machines whose power was last checked longer than {@code every}
     * ago and that run no job, marking them checked now.
     */
    List<BmcMachine> claimPowerChecks(Duration every, int limit) throws StoreException;

    /** Stores a new job; {@code CONFLICT} when one has its id, {@code NOT_FOUND} without its machine. */
    BmcJob createJob(BmcJob job) throws StoreException;

    /** Stores a new job unless one has its id; returns whether it was stored. */
    boolean createJobIfAbsent(BmcJob job) throws StoreException;

    Optional<BmcJob> job(String id) throws StoreException;

    /** Jobs, newest first; of one machine when {@code machine} is not {@code null}. */
    List<BmcJob> jobs(String machine, int limit) throws StoreException;

    /** Deletes a job with its events. */
    void deleteJob(String id) throws StoreException;

    /**
     * Claims up to {@code limit} jobs for this instance for {@code lease}: the oldest pending job
     * of each machine that runs none, and running jobs whose lease ran out (their instance died).
     */
    List<BmcJob> claimJobs(String instance, Duration lease, int limit) throws StoreException;

    /** Extends the leases of jobs this instance runs. */
    void renewJobs(String instance, List<String> ids, Duration lease) throws StoreException;

    /**
     * Writes a job's progress (state, tasks, message, times) while this instance holds its claim;
     * {@code STALE} when another instance took it over. An ended job gives its claim up.
     */
    void updateJob(String instance, BmcJob job) throws StoreException;

    /** Adds an event to a job. */
    BmcJobEvent addEvent(String jobId, Integer task, String type, String message) throws StoreException;

    /** Up to {@code limit} events of a job after the sequence {@code after}. */
    List<BmcJobEvent> events(String jobId, long after, int limit) throws StoreException;
}
