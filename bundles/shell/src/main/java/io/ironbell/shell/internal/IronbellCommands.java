package io.ironbell.shell.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ironbell.api.hardware.Hardware;
import io.ironbell.api.hardware.HardwareInterface;
import io.ironbell.api.hardware.HardwareLookup;
import io.ironbell.api.hardware.HardwareStore;
import io.ironbell.api.hardware.MacAddress;
import io.ironbell.api.json.Json;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateStore;
import io.ironbell.api.workflow.ActionStatus;
import io.ironbell.api.workflow.Workflow;
import io.ironbell.api.workflow.WorkflowEvent;
import io.ironbell.api.workflow.WorkflowException;
import io.ironbell.api.workflow.WorkflowService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands in scope {@code ironbell}, the same nouns as the CLI, inside the container:
 * <pre>
 * hardware list | get KEY | delete KEY
 * template list | get NAME
 * workflow list | get ID | events ID | cancel ID | create TEMPLATE device_1=MAC ...
 * </pre>
 * Run {@code ironbell server --console} to get the shell.
 */
@Component(service = IronbellCommands.class, property = {"osgi.command.scope=ironbell",
        "osgi.command.function=hardware", "osgi.command.function=template", "osgi.command.function=workflow"})
public final class IronbellCommands {

    private final HardwareStore hardwareStore;
    private final HardwareLookup lookup;
    private final TemplateStore templates;
    private final WorkflowService workflows;

    @Activate
    public IronbellCommands(@Reference HardwareStore hardwareStore, @Reference HardwareLookup lookup,
                            @Reference TemplateStore templates, @Reference WorkflowService workflows) {
        this.hardwareStore = hardwareStore;
        this.lookup = lookup;
        this.templates = templates;
        this.workflows = workflows;
    }

    public String hardware(String verb, String... args) {
        try {
            return switch (verb) {
                case "list" -> hardwareStore.list(new PageRequest(null, PageRequest.MAX_LIMIT)).items().stream()
                        .map(IronbellCommands::line).collect(Collectors.joining("\n"));
                case "get" -> json(lookup.find(arg(args, 0, "KEY")).orElseThrow(() -> new IllegalArgumentException("no hardware " + args[0])));
                case "delete" -> {
                    Hardware hw = lookup.find(arg(args, 0, "KEY")).orElseThrow(() -> new IllegalArgumentException("no hardware " + args[0]));
                    hardwareStore.delete(hw.id());
                    yield "deleted " + hw.id();
                }
                default -> "usage: hardware list | get KEY | delete KEY";
            };
        } catch (StoreException | IllegalArgumentException e) {
            return "error: " + e.getMessage();
        }
    }

    public String template(String verb, String... args) {
        try {
            return switch (verb) {
                case "list" -> templates.list(new PageRequest(null, PageRequest.MAX_LIMIT)).items().stream()
                        .map(t -> t.name() + "  revision " + t.revision() + "  " + t.id()).collect(Collectors.joining("\n"));
                case "get" -> {
                    TemplateRecord t = templates.get(arg(args, 0, "NAME"));
                    yield t.data();
                }
                default -> "usage: template list | get NAME";
            };
        } catch (StoreException | IllegalArgumentException e) {
            return "error: " + e.getMessage();
        }
    }

    public String workflow(String verb, String... args) {
        try {
            return switch (verb) {
                case "list" -> workflows.list(new PageRequest(null, PageRequest.MAX_LIMIT)).items().stream()
                        .map(w -> w.id() + "  " + w.template().name() + "  " + w.state()).collect(Collectors.joining("\n"));
                case "get" -> {
                    Workflow w = workflows.get(arg(args, 0, "ID"));
                    StringBuilder b = new StringBuilder(w.id() + "  " + w.state() + "\n");
                    for (int i = 0; i < w.actions().size(); i++) {
                        ActionStatus a = w.actions().get(i);
                        b.append(String.format("  %d %s/%s on %s: %s%s%n", i, a.task(), a.name(), a.worker(), a.state(),
                                a.message() == null ? "" : " (" + a.message() + ")"));
                    }
                    yield b.toString().stripTrailing();
                }
                case "events" -> workflows.events(arg(args, 0, "ID"), 0, PageRequest.MAX_LIMIT).stream()
                        .map(IronbellCommands::line).collect(Collectors.joining("\n"));
                case "cancel" -> "workflow " + args[0] + " is " + workflows.cancel(arg(args, 0, "ID")).state();
                case "create" -> {
                    Map<String, String> map = new LinkedHashMap<>();
                    for (int i = 1; i < args.length; i++) {
                        int eq = args[i].indexOf('=');
                        if (eq < 1) {
                            throw new IllegalArgumentException("hardware map entries look like device_1=MAC, not " + args[i]);
                        }
                        map.put(args[i].substring(0, eq), args[i].substring(eq + 1));
                    }
                    yield workflows.create(arg(args, 0, "TEMPLATE"), map).id();
                }
                default -> "usage: workflow list | get ID | events ID | cancel ID | create TEMPLATE device_1=MAC ...";
            };
        } catch (WorkflowException | IllegalArgumentException e) {
            return "error: " + e.getMessage();
        }
    }

    private static String arg(String[] args, int i, String name) {
        if (args.length <= i) {
            throw new IllegalArgumentException(name + " is missing");
        }
        return args[i];
    }

    private static String line(Hardware hw) {
        String macs = hw.interfaces().stream().map(HardwareInterface::macAddress).filter(m -> m != null)
                .map(MacAddress::toString).collect(Collectors.joining(","));
        return hw.id() + "  " + macs + "  " + hw.hostname().orElse("");
    }

    private static String line(WorkflowEvent e) {
        return e.sequence() + "  " + e.at() + "  " + (e.action() == null ? "workflow" : e.action()) + "  " + e.state()
                + (e.message() == null ? "" : "  " + e.message());
    }

    private static String json(Object o) {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            return String.valueOf(o);
        }
    }
}
