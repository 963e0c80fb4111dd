package io.ironbell.manifests.internal;

import java.util.Locale;
import java.util.Optional;

/**
 * The kinds {@code apply} knows, in the order a file's objects are applied (what an object
 * refers to comes first), with the API group each belongs to.
 */
enum Kind {
    SECRET("Secret", "v1", "secrets"),
    HARDWARE("Hardware", "tinkerbell.org/v1alpha1", "hardware"),
    TEMPLATE("Template", "tinkerbell.org/v1alpha1", "templates"),
    MACHINE("Machine", "bmc.tinkerbell.org/v1alpha1", "machines"),
    WORKFLOW("Workflow", "tinkerbell.org/v1alpha1", "workflows"),
    WORKFLOW_RULE_SET("WorkflowRuleSet", "tinkerbell.org/v1alpha1", "workflowrulesets"),
    JOB("Job", "bmc.tinkerbell.org/v1alpha1", "jobs");

    final String name;
    final String apiVersion;
    final String plural;

    Kind(String name, String apiVersion, String plural) {
        this.name = name;
        this.apiVersion = apiVersion;
        this.plural = plural;
    }

    /** The kind as {@code kind:} spells it. */
    static Optional<Kind> of(String kind) {
        for (Kind k : values()) {
            if (k.name.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The kind as a person types it: {@code hardware}, {@code workflows}, {@code Template}, {@code machine.bmc}. */
    static Optional<Kind> typed(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        int dot = t.indexOf('.');
        if (dot > 0) {
            t = t.substring(0, dot);
        }
        for (Kind k : values()) {
            if (k.name.toLowerCase(Locale.ROOT).equals(t) || k.plural.equals(t)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** How results name it: {@code hardware}, {@code workflow}. */
    String lower() {
        return name.toLowerCase(Locale.ROOT);
    }
}
