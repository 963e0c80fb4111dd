package io.ironbell.engine.internal;

import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.EventStore;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a workflow's event log from growing without end: every new message a worker reports
 * for its running action is an event, and a machine (or any container it runs) may report as
 * many as it likes. Past {@code engine.maxEventsPerWorkflow} events, messages are no longer
 * recorded as events (the action still shows the latest); transitions always are, and one event
 * says so, once.
 *
 * <p>The count is the store's, so that any number of server instances agree: each workflow's
 * events are read once, then only those added since (one indexed query per new message, none
 * once the workflow is past its cap and has said so).
 */
final class EventBudget {

    /** Most workflows counted at once; past it the counts start over, read again from the store. */
    static final int TRACKED = 10_000;
    static final String NOTICE = "further progress messages are not recorded as events: the workflow has %d events "
            + "(engine.maxEventsPerWorkflow); its transitions still are";
    private static final String NOTICE_START = NOTICE.substring(0, NOTICE.indexOf('%'));

    private final EventStore events;
    private final int max;
    private final Map<String, Count> counts = new ConcurrentHashMap<>();

    /** What is known of one workflow's events: up to which sequence, how many, and whether the notice is among them. */
    private static final class Count {
        long last;
        long events;
        boolean noticed;
    }

    EventBudget(EventStore events, int max) {
        this.events = events;
        this.max = max;
    }

    /**
     * The events to record for a running action's new message: {@code messages} while the
     * workflow is within its budget, then the notice (until the store has it), then none.
     */
    List<WorkflowEvent> admit(Workflow w, List<WorkflowEvent> messages) throws StoreException {
        Count c = counts.get(w.id());
        if (c == null) {
            if (counts.size() >= TRACKED) {
                counts.clear();
            }
            c = counts.computeIfAbsent(w.id(), k -> new Count());
        }
        synchronized (c) {
            if (!c.noticed) {
                catchUp(w.id(), c);
            }
            if (c.noticed) {
                return List.of();
            }
            if (c.events + messages.size() <= max) {
                return messages;
            }
            // not marked noticed here: the update may lose a race and be retried; the store will say
            return List.of(new WorkflowEvent(0, w.id(), null, null, null, ExecutionState.RUNNING, NOTICE.formatted(c.events), null));
        }
    }

    /** The workflow has ended: no more messages will come. */
    void forget(String workflowId) {
        counts.remove(workflowId);
    }

    private void catchUp(String id, Count c) throws StoreException {
        while (true) {
            List<WorkflowEvent> page = events.after(id, c.last, PageRequest.MAX_LIMIT);
            for (WorkflowEvent e : page) {
                c.events++;
                c.last = e.sequence();
                // a worker's message is an action's event: only the engine writes one without an action
                if (e.action() == null && e.message() != null && e.message().startsWith(NOTICE_START)) {
                    c.noticed = true;
                }
            }
            if (page.size() < PageRequest.MAX_LIMIT) {
                return;
            }
        }
    }
}
