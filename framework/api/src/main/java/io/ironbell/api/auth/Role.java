package io.ironbell.api.auth;

import java.util.Locale;

/** What a token may do, each role everything the one before it may. */
public enum Role {
    /** Reads everything but tokens and the audit log. */
    VIEWER,
    /** A viewer who also creates, cancels and deletes workflows (and, with a BMC, powers machines). */
    OPERATOR,
    /** Everything: hardware, templates, tokens, the audit log, backups. */
    ADMIN;

    /** Whether this role may do what {@code least} may. */
    public boolean covers(Role least) {
        return compareTo(least) >= 0;
    }

    /** The role named {@code name} (any case). */
    public static Role parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("role must be admin, operator or viewer, was '" + name + "'");
        }
    }

    /** Its name as the API and the CLI spell it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
