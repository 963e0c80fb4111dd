package io.ironbell.bmc.internal;

import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.manifest.ManifestStore;
import io.ironbell.api.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A machine's endpoint with its credentials, read from its Secret when a task needs them and not kept. */
final class Credentials {

    private Credentials() {
    }

    static BmcEndpoint endpoint(BmcMachine m, ManifestStore secrets, Duration timeout) throws BmcException {
        if (m.authSecretRef() == null) {
            throw new BmcException(Reason.CONFIG, "machine " + m.name() + " has no authSecretRef: its BMC credentials are unknown");
        }
        Map<String, byte[]> values;
        try {
            values = secrets.secret(m.authSecretRef());
        } catch (StoreException e) {
            throw new BmcException(e.reason() == StoreException.Reason.NOT_FOUND ? Reason.CONFIG : Reason.UNREACHABLE,
                    "the credentials of machine " + m.name() + " (Secret " + m.authSecretRef() + "): " + e.getMessage());
        }
        byte[] user = values.get("username");
        byte[] password = values.get("password");
        if (user == null || password == null) {
            throw new BmcException(Reason.CONFIG, "Secret " + m.authSecretRef() + " of machine " + m.name() + " needs the keys username and password");
        }
        return new BmcEndpoint(m.host(), m.port(), new String(user, StandardCharsets.UTF_8), new String(password, StandardCharsets.UTF_8),
                m.insecureTls(), m.caPem(), m.options(), timeout);
    }
}
