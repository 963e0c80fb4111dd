package io.ironbell.logging.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards what OSGi bundles log through the OSGi log service (SCR, ConfigAdmin, FileInstall,
 * framework events) to SLF4J, so that every line of the server has one format: text or JSON
 * as {@code log.format} says. Entries logged before this component started are replayed.
 */
@Component(service = {})
public final class OsgiLogBridge implements LogListener {

    private final LogReaderService reader;

    @Activate
    public OsgiLogBridge(@Reference LogReaderService reader) {
        this.reader = reader;
        List<LogEntry> earlier = new ArrayList<>();
        for (Enumeration<LogEntry> e = reader.getLog(); e.hasMoreElements(); ) {
            earlier.add(e.nextElement());
        }
        Collections.reverse(earlier); // getLog() lists the newest first
        earlier.forEach(e -> forward(e, false));
        reader.addLogListener(this);
    }

    @Deactivate
    void deactivate() {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        forward(entry, true);
    }

    /**
     * Sends one entry to SLF4J. Bundles installed, updated or uninstalled while the server runs
     * (hot deploy) are worth an INFO line; the other events are DEBUG.
     */
    private void forward(LogEntry entry, boolean live) {
        String name = entry.getLoggerName();
        String bundle = entry.getBundle() == null ? "?" : entry.getBundle().getSymbolicName();
        // Felix Log turns every bundle, service and framework event into an entry ("Events.Service.<bsn>");
        // they are noise above DEBUG.
        boolean event = name != null && name.startsWith("Events.");
        Logger log = LoggerFactory.getLogger(name == null || name.equals("LogService") ? bundle : name);
        String message = entry.getMessage();
        Throwable t = entry.getException();
        switch (entry.getLogLevel()) {
            case ERROR, AUDIT -> log.error(message, t);
            case WARN -> log.warn(message, t);
            case INFO -> {
                if (!event || live && isLifecycleChange(name, message)) {
                    log.info(message, t);
                } else {
                    log.debug(message, t);
                }
            }
            default -> log.debug(message, t);
        }
    }

    private static boolean isLifecycleChange(String name, String message) {
        return name.startsWith("Events.Bundle") && message != null
                && (message.endsWith("INSTALLED") || message.endsWith("UPDATED") || message.endsWith("UNINSTALLED"));
    }
}
