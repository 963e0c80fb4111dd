package io.ironbell.api.manifest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A Kubernetes object as it was last applied, kept so that it comes back out with every field,
 * also those Ironbell does not use. Names are unique per kind across namespaces: Ironbell has one
 * namespace per installation, and keeps the object's own.
 *
 * @param kind       the object's kind ({@code Hardware}, {@code Template}, {@code Workflow},
 *                   {@code Machine}, {@code Job}, {@code Secret})
 * @param name       {@code metadata.name}
 * @param namespace  {@code metadata.namespace}, or {@code null}
 * @param object     the object as applied, without {@code status}, and for a Secret without its values
 * @param generation 1 when created, one more at every change
 * @param createdAt  when it was first applied
 * @param updatedAt  when it last changed
 */
public record Manifest(String kind, String name, String namespace, ObjectNode object, long generation, Instant createdAt,
                       Instant updatedAt) {
}
