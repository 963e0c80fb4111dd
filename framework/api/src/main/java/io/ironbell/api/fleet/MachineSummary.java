package io.ironbell.api.fleet;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.ActionStatus.Progress;
import java.time.Instant;

/**
 * One machine as a fleet page shows it.
 *
 * @param hardwareId the record's id
 * @param name       the host name of its first interface, else its instance's, else its id
 * @param mac        the MAC address of its first interface (by address, then MAC)
 * @param address    that interface's IP address, or {@code null}
 * @param power      what its BMC said last ({@code ON}, {@code OFF}, {@code UNKNOWN}), or {@code null} without a BMC
 * @param discovery  {@code DISCOVERED} or {@code ENROLLED} for a machine that introduced itself, else {@code null}
 * @param lastSeen   its last DHCP exchange or worker call, whichever came last, or {@code null}
 * @param stage      where it stands in the boot flow of its newest workflow
 * @param workflow   its newest workflow, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MachineSummary(String hardwareId, String name, String mac, String address, String power, String discovery,
        Instant lastSeen, Stage stage, WorkflowSummary workflow) {

    /** The steps a provisioned machine goes through, as a rollout view counts them. */
    public enum Stage {
        /** No workflow. */
        IDLE,
        /** A workflow waits and the machine has not asked for an address since it was made (off, or booting). */
        WAITING,
        /** The machine took its address (DHCP) after the workflow was made; its in-memory OS is not up yet. */
        DHCP,
        /** Its in-memory OS is up (the worker has its session) and no action has started. */
        OS,
        /** An action runs, or the next one is due: {@link WorkflowSummary#action()} names it. */
        ACTION,
        /** The workflow succeeded. */
        DONE,
        /** The workflow failed, timed out or was cancelled. */
        FAILED
    }

    /**
     * A workflow as the fleet pages show it.
     *
     * @param actionIndex the current action's place (0-based) among {@code actions}
     * @param done        how many actions succeeded
     * @param progress    the current action's last progress report, or {@code null}
     * @param message     the current action's last message (a failure's reason), or {@code null}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record WorkflowSummary(String id, String template, ExecutionState state, int actionIndex, String action,
            ExecutionState actionState, int actions, int done, Progress progress, String message, Instant createdAt, Instant updatedAt) {
    }
}
