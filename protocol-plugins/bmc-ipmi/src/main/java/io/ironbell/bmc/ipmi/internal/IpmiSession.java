package io.ironbell.bmc.ipmi.internal;

import io.ironbell.api.bmc.BmcException;
import io.ironbell.api.bmc.BmcException.Reason;
import io.ironbell.api.bmc.BmcSession;
import io.ironbell.api.bmc.BootDevice;
import io.ironbell.api.bmc.PowerAction;
import io.ironbell.api.bmc.PowerState;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One BMC through ipmitool: each operation is a call of its own (RMCP+ session opened and closed). */
final class IpmiSession implements BmcSession {

    private final Ipmitool ipmitool;

    IpmiSession(Ipmitool ipmitool) {
        this.ipmitool = ipmitool;
    }

    @Override
    public PowerState powerState() throws BmcException {
        String out = ipmitool.run("chassis", "power", "status").out().toLowerCase(Locale.ROOT);
        if (out.contains("chassis power is on")) {
            return PowerState.ON;
        }
        if (out.contains("chassis power is off")) {
            return PowerState.OFF;
        }
        throw new BmcException(Reason.REFUSED, "unexpected answer to 'chassis power status': " + out.strip());
    }

    @Override
    public void power(PowerAction action) throws BmcException {
        if (action == PowerAction.STATUS) {
            powerState();
            return;
        }
        ipmitool.run("chassis", "power", action.wire());
    }

    @Override
    public void bootDevice(BootDevice device, boolean persistent, boolean efi) throws BmcException {
        String dev = device == BootDevice.DISK ? "disk" : device.wire();
        StringBuilder options = new StringBuilder();
        if (persistent) {
            options.append("persistent");
        }
        if (efi) {
            options.append(options.length() > 0 ? "," : "").append("efiboot");
        }
        if (options.length() > 0) {
            ipmitool.run("chassis", "bootdev", dev, "options=" + options);
        } else {
            ipmitool.run("chassis", "bootdev", dev);
        }
    }

    /** The BMC's Get Device ID: manufacturer, product, firmware and IPMI versions. */
    @Override
    public Map<String, String> inventory() throws BmcException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : ipmitool.run("mc", "info").out().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith(" ") && colon < line.length() - 1) {
                String key = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                switch (key) {
                    case "Manufacturer Name" -> out.put("manufacturer", value);
                    case "Manufacturer ID" -> out.put("manufacturerId", value);
                    case "Product Name" -> out.put("product", value);
                    case "Product ID" -> out.put("productId", value);
                    case "Firmware Revision" -> out.put("firmwareVersion", value);
                    case "IPMI Version" -> out.put("ipmiVersion", value);
                    default -> {
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        // every call opened and closed its own RMCP+ session
    }
}
