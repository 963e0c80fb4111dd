package io.ironbell.api.auth;

import io.ironbell.api.store.StoreException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Named API tokens: created with a role and an optional expiry, listed, revoked; secrets kept as hashes only. */
@ProviderType
public interface TokenStore {

    /**
     * A new token and the one text that proves it, shown once.
     *
     * @param token  what was stored
     * @param secret the whole token text to present as {@code Authorization: Bearer <secret>}
     */
    record Created(ApiToken token, String secret) {
    }

    /**
     * Creates a token.
     *
     * @throws StoreException CONFLICT when the name is taken, INVALID for a bad name or an expiry in the past
     */
    Created create(String name, Role role, Instant expiresAt, String createdBy) throws StoreException;

    /** Every token, revoked and expired ones included, by name. */
    List<ApiToken> list() throws StoreException;

    /**
     * Revokes the token with this name or id; revoking twice is no error.
     *
     * @throws StoreException NOT_FOUND when there is none
     */
    ApiToken revoke(String nameOrId) throws StoreException;

    /** The valid token whose text this is (hash compared in constant time), or empty. */
    Optional<ApiToken> authenticate(String secret) throws StoreException;
}
