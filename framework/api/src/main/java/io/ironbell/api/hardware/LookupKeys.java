package io.ironbell.api.hardware;

import java.util.regex.Pattern;

/** The forms of {@link HardwareLookup#find}'s keys that are IP address literals; not API. */
final class LookupKeys {

    static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    // a host with a colon is only ever parsed as an IPv6 literal by InetAddress, never resolved
    static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private LookupKeys() {
    }
}
