package io.ironbell.api.workflow;

import io.ironbell.api.store.StoreException;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The append-only log of workflow events. */
@ProviderType
public interface EventStore {

    /** Appends an event; the store assigns its sequence and returns the stored event. */
    WorkflowEvent append(WorkflowEvent event) throws StoreException;

    /** Returns up to {@code limit} events of a workflow with a sequence above {@code afterSequence}, in order. */
    List<WorkflowEvent> after(String workflowId, long afterSequence, int limit) throws StoreException;
}
