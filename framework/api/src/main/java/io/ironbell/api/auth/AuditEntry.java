package io.ironbell.api.auth;

import java.time.Instant;
import java.util.Map;

/**
 * One change, as the audit log keeps it: who, what, when, from where.
 *
 * @param sequence position in the log, increasing
 * @param at       when
 * @param actor    the token's name ({@code admin} for the generated admin token)
 * @param role     the role it acted with
 * @param source   the caller's address
 * @param action   what was done, e.g. {@code hardware.push}, {@code workflow.cancel}, {@code token.revoke}
 * @param target   what it was done to (an id or name), or {@code null}
 * @param detail   more about it (never a secret), possibly empty
 */
public record AuditEntry(long sequence, Instant at, String actor, Role role, String source, String action, String target,
                         Map<String, String> detail) {

    public AuditEntry {
        detail = detail == null ? Map.of() : Map.copyOf(detail);
    }
}
