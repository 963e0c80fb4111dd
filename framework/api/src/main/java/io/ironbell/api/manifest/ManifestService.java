package io.ironbell.api.manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * {@code kubectl apply} for Tinkerbell's objects: files of YAML or JSON documents (and
 * {@code kind: List}) become hardware records, templates, workflows, BMC machines and jobs, and
 * Secrets; and every record can be written back as the object Tinkerbell would show.
 */
@ProviderType
public interface ManifestService {

    /** Largest file accepted, in bytes. */
    int MAX_FILE_BYTES = 1024 * 1024;

    /** One file to apply: where it came from (for messages) and its text. */
    record Source(String name, String text) {
    }

    /**
     * What applying one object did.
     *
     * @param kind    the object's kind, lower case ({@code hardware})
     * @param name    its name
     * @param outcome {@code created}, {@code configured} or {@code unchanged}
     * @param warning what went wrong with an object that was applied nevertheless (a Workflow whose
     *                template did not render for its hardware), or {@code null}
     */
    record Applied(String kind, String name, String outcome, String warning) {
        @Override
        public String toString() {
            return kind + "/" + name + " " + outcome;
        }
    }

    /**
     * What applying one file did: every object applied, or the errors that kept all of them out.
     *
     * @param source  the file's name
     * @param applied the objects applied, in the order they were; empty when the file was refused
     * @param errors  each naming the document, its line and the field; empty when it was applied
     */
    record FileResult(String source, List<Applied> applied, List<String> errors) {
        public FileResult {
            applied = List.copyOf(applied);
            errors = List.copyOf(errors);
        }
    }

    /**
     * Applies files, each all or nothing: a file with an invalid object applies nothing. Files
     * are applied in the order their objects depend on each other (Secrets and Hardware before
     * Templates, before Workflows and Machines, before Jobs), then by their order in the list.
     */
    List<FileResult> apply(List<Source> files);

    /**
     * Writes a record back as Tinkerbell's object: the object as applied with its current spec,
     * and for a Workflow its status in Tinkerbell's shape. Records that were not applied get the
     * object Tinkerbell would have for them.
     *
     * @param kind Hardware, Template, Workflow, Machine, Job or Secret (any case, or a plural)
     * @throws ManifestException {@code NOT_FOUND} or {@code INVALID} for an unknown kind
     */
    ObjectNode export(String kind, String name) throws ManifestException;
}
