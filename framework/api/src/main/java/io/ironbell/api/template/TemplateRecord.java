package io.ironbell.api.template;

import java.time.Instant;

/**
 * A stored template: its source text, before rendering.
 *
 * @param id        identifier
 * @param name      unique name
 * @param revision  1 for the first version, incremented by every update; older ones are kept
 * @param data      the YAML text, with its {@code {{ }}} placeholders
 * @param createdAt when the first revision was stored
 * @param updatedAt when this revision was stored
 */
public record TemplateRecord(String id, String name, int revision, String data, Instant createdAt, Instant updatedAt) {
}
