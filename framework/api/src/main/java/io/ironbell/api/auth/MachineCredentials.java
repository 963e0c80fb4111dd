package io.ironbell.api.auth;

import io.ironbell.api.store.StoreException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * How a machine proves who it is to the worker API. Each boot script carries a boot token for
 * that machine (short-lived, signed by the servers' shared key, issued without I/O so scripts stay
 * fast); the machine's worker exchanges it once, over HTTPS, for a session token bound to the
 * machine. A boot token works once: whoever replays or sniffs it after the machine used it is
 * refused, and a new boot's exchange ends the previous boot's session.
 */
@ProviderType
public interface MachineCredentials {

    /**
     * A session: the machine it speaks for and until when.
     *
     * @param hardwareId the hardware record's id
     * @param token      the session token's text, only on {@link #exchange} (it is never stored), else {@code null}
     * @param expiresAt  when it stops working
     */
    record Session(String hardwareId, String token, Instant expiresAt) {
    }

    /** Why an exchange was refused: said to the caller as it is. */
    final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        /** @param message why, without any secret */
        public Refused(String message) {
            super(message);
        }
    }

    /**
     * A boot token for the machine with this hardware id: goes on its kernel command line. Pure
     * computation once the shared key was read (at start).
     *
     * @throws StoreException when the shared key cannot be read (the database is away since the start)
     */
    String issueBootToken(String hardwareId) throws StoreException;

    /**
     * The hardware id a boot token was issued for, while it has not expired, whether or not it was
     * exchanged; empty for a malformed, forged or expired token. Pure computation, as issuing:
     * for a boot medium's download, which must not use the token up.
     */
    Optional<String> bootTokenHardware(String bootToken);

    /**
     * Exchanges a boot token, once, for a session.
     *
     * @param bootToken the token from the kernel command line
     * @param from      the caller's address, stored with the session for the audit trail
     * @throws Refused  a malformed, forged, expired or already used token
     */
    Session exchange(String bootToken, InetAddress from) throws Refused, StoreException;

    /** The valid session whose token this is, or empty. */
    Optional<Session> authenticate(String sessionToken) throws StoreException;
}
