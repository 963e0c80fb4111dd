package io.ironbell.api.auth;

import java.time.Instant;

/**
 * A named API token, as stored: its secret is not here, only a hash of it is kept.
 *
 * @param id         public identifier, part of the token text ({@code ib_<id>_<secret>})
 * @param name       unique name an operator chose
 * @param role       what it may do
 * @param createdAt  when it was created
 * @param createdBy  who created it
 * @param expiresAt  when it stops working, or {@code null} for never
 * @param revokedAt  when it was revoked, or {@code null}
 * @param lastUsedAt when it last authenticated a request (to the minute), or {@code null}
 */
public record ApiToken(String id, String name, Role role, Instant createdAt, String createdBy, Instant expiresAt, Instant revokedAt,
                       Instant lastUsedAt) {

    /** Whether it authenticates requests at {@code now}. */
    public boolean valid(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }
}
