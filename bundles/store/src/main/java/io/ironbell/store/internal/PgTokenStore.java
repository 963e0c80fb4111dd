package io.ironbell.store.internal;

import io.ironbell.api.auth.ApiToken;
import io.ironbell.api.auth.Role;
import io.ironbell.api.auth.TokenStore;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Named tokens in PostgreSQL. A token's text is {@code ib_<id>_<secret>}: the id finds the row,
 * the secret's SHA-256 is compared in constant time with the stored one; the secret itself is
 * never stored or logged.
 */
@Component(service = TokenStore.class)
public final class PgTokenStore implements TokenStore {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern TEXT = Pattern.compile("ib_([a-z0-9]{12})_([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;

    @Activate
    public PgTokenStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public Created create(String name, Role role, Instant expiresAt, String createdBy) throws StoreException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new StoreException(Reason.INVALID, "token name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, was '"
                    + name + "'");
        }
        if (expiresAt != null && !expiresAt.isAfter(Instant.now())) {
            throw new StoreException(Reason.INVALID, "expiry " + expiresAt + " is not in the future");
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String id = Long.toString(Math.floorMod(RANDOM.nextLong(), 36L * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36), 36);
        id = "0".repeat(12 - id.length()) + id;
        String text = "ib_" + id + "_" + secret;
        String tokenId = id;
        try {
            db.tx(s -> s.getMapper(Mappers.TokenSql.class).insert(tokenId, name, role.id(), sha256(secret), createdBy,
                    expiresAt == null ? null : Rows.timestamp(expiresAt)));
        } catch (StoreException e) {
            throw e.reason() == Reason.CONFLICT ? new StoreException(Reason.CONFLICT, "a token named " + name + " exists") : e;
        }
        return new Created(token(db.tx(s -> s.getMapper(Mappers.TokenSql.class).byNameOrId(tokenId))), text);
    }

    @Override
    public List<ApiToken> list() throws StoreException {
        List<ApiToken> out = new ArrayList<>();
        for (Map<String, Object> r : db.tx(s -> s.getMapper(Mappers.TokenSql.class).all())) {
            out.add(token(r));
        }
        return out;
    }

    @Override
    public ApiToken revoke(String nameOrId) throws StoreException {
        return db.tx(s -> {
            Mappers.TokenSql sql = s.getMapper(Mappers.TokenSql.class);
            Map<String, Object> row = sql.byNameOrId(nameOrId);
            if (row == null) {
                throw new StoreException(Reason.NOT_FOUND, "no token " + nameOrId);
            }
            sql.revoke(Rows.str(row, "id"));
            return token(sql.byNameOrId(Rows.str(row, "id")));
        });
    }

    @Override
    public Optional<ApiToken> authenticate(String text) throws StoreException {
        Matcher m = TEXT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.TokenSql.class).byId(m.group(1)));
        if (row == null || !MessageDigest.isEqual((byte[]) row.get("secret_sha256"), sha256(m.group(2)))) {
            return Optional.empty();
        }
        ApiToken t = token(row);
        if (!t.valid(Instant.now())) {
            return Optional.empty();
        }
        db.tx(s -> s.getMapper(Mappers.TokenSql.class).used(t.id()));
        return Optional.of(t);
    }

    private static ApiToken token(Map<String, Object> r) {
        return new ApiToken(Rows.str(r, "id"), Rows.str(r, "name"), Role.parse(Rows.str(r, "role")), Rows.instant(r, "created_at"),
                Rows.str(r, "created_by"), Rows.instant(r, "expires_at"), Rows.instant(r, "revoked_at"), Rows.instant(r, "last_used_at"));
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
