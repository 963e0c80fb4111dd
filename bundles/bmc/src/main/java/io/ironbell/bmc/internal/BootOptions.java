package io.ironbell.bmc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ironbell.api.bmc.BmcAction;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcStore;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.BootMedia;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.Netboot;
import io.ironbell.api.hardware.Network;
import io.ironbell.api.store.ChangeListener;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on a workflow's {@code bootOptions} as Tinkerbell's controller does, through the BMC of
 * each machine in its hardware map:
 * <ul>
 * <li>{@code toggleAllowNetboot}: the machine's interfaces may network-boot while the workflow
 *     runs, and no longer once it ended (however it ended);</li>
 * <li>{@code bootMode: netboot}: job {@code <workflow>-netboot} = power off, next boot PXE once (EFI
 *     when an interface says {@code uefi}), power on; when the workflow succeeds, job
 *     {@code <workflow>-done} = next boot disk, persistent (so the installed OS comes up);</li>
 * <li>{@code bootMode: isoboot}: job {@code <workflow>-iso-mount} = power off, eject, insert the
 *     ISO ({@code isoURL}, else this server's in-memory OS for the machine), next boot CD once,
 *     power on; when it succeeds, {@code <workflow>-done} = eject, next boot disk;</li>
 * <li>{@code bootMode: customboot}: {@code custombootConfig.preparingActions} and
 *     {@code postActions}, Rufio's task shapes, as the two jobs.</li>
 * </ul>
 * A boot job that fails fails its workflow. Every server instance hears every change; the jobs'
 * names make each exist once whichever instance gets there first.
 */
@Component(service = ChangeListener.class, immediate = true)
public final class BootOptions implements ChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(BootOptions.class);

    private final WorkflowService workflows;
    /** Most workflows remembered as having no boot options; past it the memory starts over. */
    private static final int PLAIN = 100_000;
    private final java.util.Set<String> plain = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final BmcStore store;
    private final HardwareLookup lookup;
    private final HardwareStore hardware;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bmc-boot-options");
        t.setDaemon(true);
        return t;
    });

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile BootMedia media;

    @Activate
    public BootOptions(@Reference WorkflowService workflows, @Reference BmcStore store, @Reference HardwareLookup lookup,
            @Reference HardwareStore hardware) {
        this.workflows = workflows;
        this.store = store;
        this.lookup = lookup;
        this.hardware = hardware;
    }

    @Deactivate
    void deactivate() {
        worker.shutdownNow();
    }

    @Override
    public void changed(String kind, String id) {
        if (kind.equals("workflow")) {
            worker.execute(() -> workflowChanged(id));
        } else if (kind.equals("bmc_event")) {
            worker.execute(() -> jobChanged(id));
        }
    }

    void workflowChanged(String id) {
        if (plain.contains(id)) {
            return;
        }
        try {
            Workflow w = workflows.get(id);
            JsonNode options = w.bootOptions();
            if (options == null || options.isEmpty()) {
                // a workflow's boot options never change: none now, none at its next change either
                if (plain.size() >= PLAIN) {
                    plain.clear();
                }
                plain.add(id);
                return;
            }
            boolean toggle = options.path("toggleAllowNetboot").asBoolean(false);
            String mode = options.path("bootMode").asText("");
            List<Hardware> machines = machines(w);
            if (!w.state().isTerminal()) {
                if (toggle) {
                    for (Hardware hw : machines) {
                        allowNetboot(hw, true);
                    }
                }
                if (!mode.isEmpty()) {
                    for (Hardware hw : machines) {
                        prepare(w, hw, mode, options);
                    }
                }
                return;
            }
            if (toggle) {
                for (Hardware hw : machines) {
                    allowNetboot(hw, false);
                }
            }
            if (w.state() == ExecutionState.SUCCESS && !mode.isEmpty()) {
                for (Hardware hw : machines) {
                    finish(w, hw, mode, options);
                }
            }
        } catch (WorkflowException e) {
            if (e.reason() != WorkflowException.Reason.NOT_FOUND) {
                LOG.warn("boot options of workflow {}: {}", id, e.getMessage());
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("boot options of workflow {}: {}", id, e.toString());
        }
    }

    private List<Hardware> machines(Workflow w) {
        Map<String, Hardware> byId = new LinkedHashMap<>();
        for (String key : w.hardwareMap().values()) {
            lookup.find(key).ifPresent(hw -> byId.putIfAbsent(hw.id(), hw));
        }
        return new ArrayList<>(byId.values());
    }

    private void prepare(Workflow w, Hardware hw, String mode, JsonNode options) throws StoreException, WorkflowException {
        Optional<BmcMachine> bmc = store.machineOf(hw.id());
        if (bmc.isEmpty()) {
            workflows.fail(w.id(), "bootOptions.bootMode " + mode + ": hardware " + hw.id() + " has no BMC (a Machine whose hardware it is)");
            return;
        }
        boolean efi = hw.interfaces().stream().anyMatch(i -> i.dhcp() != null && Boolean.TRUE.equals(i.dhcp().uefi()));
        List<BmcAction> tasks;
        String name;
        switch (mode) {
            case "netboot" -> {
                name = w.id() + "-netboot";
                tasks = List.of(BmcAction.power(PowerAction.OFF), BmcAction.boot(BootDevice.PXE, false, efi), BmcAction.power(PowerAction.ON));
            }
            case "isoboot", "iso" -> {
                name = w.id() + "-iso-mount";
                String url = options.path("isoURL").asText("");
                if (url.isEmpty()) {
                    BootMedia m = media;
                    Optional<String> served = Optional.empty();
                    try {
                        served = m == null ? Optional.empty() : m.isoUrl(hw.id());
                    } catch (BmcException e) {
                        workflows.fail(w.id(), "bootOptions.bootMode isoboot: " + e.getMessage());
                        return;
                    }
                    if (served.isEmpty()) {
                        workflows.fail(w.id(), "bootOptions.bootMode isoboot without isoURL: this server serves no ISO of the in-memory OS");
                        return;
                    }
                    url = served.get();
                }
                tasks = List.of(BmcAction.power(PowerAction.OFF), BmcAction.media(""), BmcAction.media(url),
                        BmcAction.boot(BootDevice.CDROM, false, efi), BmcAction.power(PowerAction.ON));
            }
            case "customboot" -> {
                name = w.id() + "-customboot-prepare";
                tasks = custom(w, options.path("custombootConfig").path("preparingActions"), "preparingActions");
                if (tasks == null) {
                    return;
                }
            }
            default -> {
                workflows.fail(w.id(), "bootOptions.bootMode '" + mode + "' is not netboot, isoboot or customboot");
                return;
            }
        }
        create(w, bmc.get(), name + suffix(w, hw), tasks);
    }

    private void finish(Workflow w, Hardware hw, String mode, JsonNode options) throws StoreException, WorkflowException {
        Optional<BmcMachine> bmc = store.machineOf(hw.id());
        if (bmc.isEmpty()) {
            return;
        }
        boolean efi = hw.interfaces().stream().anyMatch(i -> i.dhcp() != null && Boolean.TRUE.equals(i.dhcp().uefi()));
        List<BmcAction> tasks = switch (mode) {
            case "netboot" -> List.of(BmcAction.boot(BootDevice.DISK, true, efi));
            case "isoboot", "iso" -> List.of(BmcAction.media(""), BmcAction.boot(BootDevice.DISK, true, efi));
            case "customboot" -> custom(w, options.path("custombootConfig").path("postActions"), "postActions");
            default -> null;
        };
        if (tasks != null && !tasks.isEmpty()) {
            create(w, bmc.get(), w.id() + "-done" + suffix(w, hw), tasks);
        }
    }

    /** One job per machine of a workflow with several. */
    private String suffix(Workflow w, Hardware hw) {
        return machines(w).size() > 1 ? "-" + hw.id() : "";
    }

    private List<BmcAction> custom(Workflow w, JsonNode actions, String field) throws WorkflowException {
        List<BmcAction> tasks = new ArrayList<>();
        for (int i = 0; i < actions.size(); i++) {
            try {
                tasks.add(BmcAction.fromRufio(actions.get(i)));
            } catch (IllegalArgumentException e) {
                workflows.fail(w.id(), "bootOptions.custombootConfig." + field + "[" + i + "]: " + e.getMessage());
                return null;
            }
        }
        return tasks;
    }

    private void create(Workflow w, BmcMachine m, String name, List<BmcAction> tasks) throws StoreException {
        if (store.createJobIfAbsent(BmcJob.of(name, m.namespace(), m.name(), w.id(), tasks, 0, 0))) {
            LOG.info("workflow {}: BMC job {} for machine {} ({})", w.id(), name, m.name(),
                    String.join(", ", tasks.stream().map(BmcAction::describe).toList()));
        }
    }

    /** A boot job that failed fails its workflow. */
    void jobChanged(String jobId) {
        try {
            Optional<BmcJob> job = store.job(jobId);
            if (job.isEmpty() || job.get().workflowId() == null || job.get().state() != BmcJob.State.FAILED) {
                return;
            }
            // a workflow that ended already stays as it ended
            workflows.fail(job.get().workflowId(), "BMC job " + jobId + " failed: " + job.get().message());
        } catch (StoreException | WorkflowException | RuntimeException e) {
            LOG.warn("boot job {}: {}", jobId, e.toString());
        }
    }

    private void allowNetboot(Hardware hw, boolean allow) throws StoreException {
        Hardware current = lookup.byId(hw.id()).orElse(hw);
        boolean changed = false;
        List<HardwareInterface> interfaces = new ArrayList<>();
        for (HardwareInterface i : current.interfaces()) {
            Netboot n = i.netboot();
            if (i.allowsPxe() != allow) {
                n = n == null ? new Netboot(allow, null, null, null, null) : new Netboot(allow, n.allowWorkflow(), n.ipxe(), n.osie(), n.extra());
                changed = true;
            }
            interfaces.add(new HardwareInterface(i.dhcp(), n, i.extra()));
        }
        if (changed) {
            hardware.push(new Hardware(current.id(), current.metadata(), new Network(interfaces, current.network().extra()), current.extra()));
            LOG.info("hardware {}: network boot {} (toggleAllowNetboot)", current.id(), allow ? "allowed" : "no longer allowed");
        }
    }
}
