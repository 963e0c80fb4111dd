package io.ironbell.restapi.internal;

import io.ironbell.api.auth.Role;
import java.io.IOException;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings changed while the server runs by a {@code deploy/*.cfg} file go into the audit log
 * (actor {@code deploy/FILE}, action {@code settings.update} or {@code settings.delete}, the PID,
 * the keys set; never their values, which may be secrets) and into the server log as a warning:
 * whoever can write {@code deploy/} changes how the server behaves, and an operator must see that.
 * An entry the audit log cannot take yet (a file dropped while the database connects) is tried
 * again for two minutes, then logged at ERROR with all it holds.
 * Configuration from {@code conf/ironbell.properties} is applied at start and is not a change.
 */
@Component(service = ConfigurationListener.class)
public final class DeployedSettingsAudit implements ConfigurationListener {

    /** The property FileInstall puts into each configuration it made from a file. */
    static final String FILE = "felix.fileinstall.filename";

    private static final Logger LOG = LoggerFactory.getLogger(DeployedSettingsAudit.class);

    private final Audit audit;
    private final BundleContext context;
    /** PID to file, for the configurations that came from deploy/ (a deleted one no longer says). */
    private final Map<String, String> deployed = new ConcurrentHashMap<>();
    /** Records in order, off ConfigAdmin's event thread, trying again while the audit log cannot take them. */
    private final java.util.concurrent.ExecutorService retry = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ironbell-settings-audit");
        t.setDaemon(true);
        return t;
    });
    private static final int RETRIES = 60;
    private static final long RETRY_MILLIS = 2000;

    @Activate
    public DeployedSettingsAudit(@Reference Audit audit, BundleContext context) {
        this.audit = audit;
        this.context = context;
        ConfigurationAdmin admin = admin();
        if (admin != null) {
            try {
                Configuration[] all = admin.listConfigurations("(" + FILE + "=*)");
                for (Configuration c : all == null ? new Configuration[0] : all) {
                    deployed.put(c.getPid(), fileName(c.getProperties()));
                }
            } catch (IOException | InvalidSyntaxException e) {
                LOG.warn("settings audit: cannot list the configurations from deploy/: {}", e.getMessage());
            }
        }
    }

    private ConfigurationAdmin admin() {
        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        return ref == null ? null : context.getService(ref);
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        String pid = event.getPid();
        if (event.getType() == ConfigurationEvent.CM_DELETED) {
            String file = deployed.remove(pid);
            if (file != null) {
                record("settings.delete", pid, file, Set.of());
            }
            return;
        }
        if (event.getType() != ConfigurationEvent.CM_UPDATED) {
            return;
        }
        try {
            ConfigurationAdmin admin = context.getService(event.getReference());
            Configuration[] found = admin == null ? null : admin.listConfigurations("(service.pid=" + pid + ")");
            if (found == null || found.length == 0) {
                return;
            }
            Dictionary<String, Object> props = found[0].getProperties();
            String file = fileName(props);
            if (file == null) {
                return;
            }
            deployed.put(pid, file);
            Set<String> keys = new TreeSet<>(Collections.list(props.keys()));
            keys.removeIf(k -> k.startsWith("service.") || k.equals(FILE));
            record("settings.update", pid, file, keys);
        } catch (IOException | InvalidSyntaxException e) {
            LOG.warn("settings audit: cannot read configuration {}: {}", pid, e.getMessage());
        }
    }

    private void record(String action, String pid, String file, Set<String> keys) {
        LOG.warn("settings: {} {} from deploy/{}{}", action.equals("settings.delete") ? "removed" : "changed", pid, file,
                keys.isEmpty() ? "" : " (keys " + String.join(", ", keys) + ")");
        Auth.Caller who = new Auth.Caller("deploy/" + file, Role.ADMIN, "local");
        Map<String, String> detail = keys.isEmpty() ? Map.of() : Map.of("keys", String.join(",", keys));
        retry.execute(() -> {
            // a file dropped while the database connects (at start, say) is recorded once it can be
            for (int attempt = 1; ; attempt++) {
                try {
                    audit.tryRecord(who, action, pid, detail);
                    return;
                } catch (io.ironbell.api.store.StoreException e) {
                    if (attempt == RETRIES) {
                        audit.record(who, action, pid, detail); // logs everything the entry holds, at ERROR
                        return;
                    }
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException e) {
                    audit.record(who, action, pid, detail);
                    return;
                }
            }
        });
    }

    @org.osgi.service.component.annotations.Deactivate
    void deactivate() {
        retry.shutdownNow();
    }

    private static String fileName(Dictionary<String, Object> props) {
        Object f = props == null ? null : props.get(FILE);
        if (f == null) {
            return null;
        }
        String s = String.valueOf(f);
        return s.substring(s.lastIndexOf('/') + 1);
    }
}
