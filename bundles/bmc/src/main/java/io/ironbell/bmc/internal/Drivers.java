package io.ironbell.bmc.internal;

import io.ironbell.api.bmc.BmcDriver;
import io.ironbell.api.bmc.BmcEndpoint;
import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcMachine;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The BMC drivers deployed, as TFTP providers are ranked: by name, the one of highest
 * {@code service.ranking} (then the one registered first); for {@code auto}, the first in that
 * order whose probe answers yes, remembered per machine until a driver comes or goes. A driver
 * deployed or removed while the server runs counts from the next task.
 */
@Component(service = Drivers.class)
public final class Drivers {

    private record Entry(String name, int ranking, long serviceId, BmcDriver driver) {
    }

    private final List<Entry> entries = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, String> probed = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDriver(BmcDriver driver, Map<String, Object> props) {
        Object name = props.get(BmcDriver.NAME);
        if (name == null) {
            return;
        }
        Object ranking = props.get("service.ranking");
        entries.add(new Entry(name.toString(), ranking instanceof Integer i ? i : 0, (Long) props.get("service.id"), driver));
        probed.clear();
    }

    void removeDriver(BmcDriver driver) {
        entries.removeIf(e -> e.driver() == driver);
        probed.clear();
    }

    private List<Entry> ranked() {
        List<Entry> list = new ArrayList<>(entries);
        list.sort(Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::serviceId));
        return list;
    }

    /** The names of the drivers deployed, highest ranking first, each once. */
    List<String> names() {
        return ranked().stream().map(Entry::name).distinct().toList();
    }

    /** The driver that speaks to this machine's BMC. */
    BmcDriver driverFor(BmcMachine machine, BmcEndpoint endpoint) throws BmcException {
        String wanted = machine.driver();
        if (BmcMachine.AUTO.equals(wanted)) {
            String known = probed.get(machine.name());
            if (known != null) {
                wanted = known;
            } else {
                for (Entry e : ranked()) {
                    if (e.driver().probe(endpoint)) {
                        probed.put(machine.name(), e.name());
                        return e.driver();
                    }
                }
                throw new BmcException(Reason.CONFIG, "no deployed driver (" + names() + ") recognises the BMC at " + machine.host()
                        + "; set the machine's driver");
            }
        }
        for (Entry e : ranked()) {
            if (e.name().equals(wanted)) {
                return e.driver();
            }
        }
        throw new BmcException(Reason.CONFIG, "no BMC driver named " + wanted + " is deployed (deployed: " + names() + ")");
    }
}
