package io.ironbell.api.fleet;

import io.ironbell.api.store.StoreException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Summaries of machines, read from the store in one query each. */
@ProviderType
public interface FleetView {

    /** Every machine, ordered by hardware id. */
    List<MachineSummary> machines() throws StoreException;

    /** One machine, by hardware id. */
    java.util.Optional<MachineSummary> machine(String hardwareId) throws StoreException;

    /**
     * The machines a change may have moved since {@code since}: those whose workers run one of
     * {@code workflowIds} (the workflows that changed), and those whose record, BMC, DHCP
     * exchange, worker session or discovery changed after {@code since}.
     */
    List<MachineSummary> changedSince(Instant since, Collection<String> workflowIds) throws StoreException;

    /** A machine's workflows, newest first, at most {@code limit}. */
    List<MachineSummary.WorkflowSummary> workflowsOf(String hardwareId, int limit) throws StoreException;
}
