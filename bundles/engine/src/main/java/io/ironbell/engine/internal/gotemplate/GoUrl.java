package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;

/**
 * Go 1.19's net/url for Sprig's urlParse and urlJoin: Parse with its errors, and URL.String with
 * its escaping. Go strings are held as byte strings (one char a byte) throughout; the fields are
 * Go strings again when read.
 */
final class GoUrl {

    private static final int ENCODE_PATH = 1;
    private static final int ENCODE_HOST = 2;
    private static final int ENCODE_ZONE = 3;
    private static final int ENCODE_USER_PASSWORD = 4;
    private static final int ENCODE_FRAGMENT = 5;

    /** url.Userinfo: a name and maybe a password. */
    record Userinfo(String username, String password, boolean passwordSet) {
        /** Userinfo.String: escaped, as the URL writes it. */
        String string() {
            String s = escape(username, ENCODE_USER_PASSWORD);
            return passwordSet ? s + ":" + escape(password, ENCODE_USER_PASSWORD) : s;
        }
    }

    String scheme = "";
    String opaque = "";
    Userinfo user;
    String host = "";
    String path = "";
    String rawPath = "";
    boolean omitHost;
    boolean forceQuery;
    String rawQuery = "";
    String fragment = "";
    String rawFragment = "";

    /** An error of parsing, without the "parse URL: " that url.Error adds. */
    private static final class Bad extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message, null, false, false);
        }
    }

    /** url.Parse of a Go string; a FunctionError with url.Error's text where it fails. */
    static GoUrl parse(String goText) {
        String raw = SprigMore.byteString(goText);
        int hash = raw.indexOf('#');
        String u = hash < 0 ? raw : raw.substring(0, hash);
        String frag = hash < 0 ? "" : raw.substring(hash + 1);
        GoUrl url;
        try {
            url = parseWithoutFragment(u);
        } catch (Bad e) {
            throw new FunctionError("parse " + GoFmt.quote(SprigMore.goString(u)) + ": " + e.getMessage());
        }
        if (frag.isEmpty()) {
            return url;
        }
        try {
            url.fragment = unescape(frag, ENCODE_FRAGMENT);
            url.rawFragment = escape(url.fragment, ENCODE_FRAGMENT).equals(frag) ? "" : frag;
        } catch (Bad e) {
            throw new FunctionError("parse " + GoFmt.quote(goText) + ": " + e.getMessage());
        }
        return url;
    }

    private static GoUrl parseWithoutFragment(String rawUrl) {
        for (int i = 0; i < rawUrl.length(); i++) {
            if (rawUrl.charAt(i) < ' ' || rawUrl.charAt(i) == 0x7f) {
                throw new Bad("net/url: invalid control character in URL");
            }
        }
        GoUrl url = new GoUrl();
        if (rawUrl.equals("*")) {
            url.path = "*";
            return url;
        }
        String rest = rawUrl;
        for (int i = 0; i < rawUrl.length(); i++) {
            char c = rawUrl.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                continue;
            }
            if (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
                if (i == 0) {
                    break;
                }
                continue;
            }
            if (c == ':') {
                if (i == 0) {
                    throw new Bad("missing protocol scheme");
                }
                url.scheme = rawUrl.substring(0, i).toLowerCase(java.util.Locale.ROOT);
                rest = rawUrl.substring(i + 1);
            }
            break;
        }
        if (rest.endsWith("?") && rest.indexOf('?') == rest.length() - 1) {
            url.forceQuery = true;
            rest = rest.substring(0, rest.length() - 1);
        } else if (rest.indexOf('?') >= 0) {
            url.rawQuery = rest.substring(rest.indexOf('?') + 1);
            rest = rest.substring(0, rest.indexOf('?'));
        }
        if (!rest.startsWith("/")) {
            if (!url.scheme.isEmpty()) {
                // a rootless path is opaque
                url.opaque = rest;
                return url;
            }
            // a colon in the first segment would read as a scheme
            int slash = rest.indexOf('/');
            if ((slash < 0 ? rest : rest.substring(0, slash)).contains(":")) {
                throw new Bad("first path segment in URL cannot contain colon");
            }
        }
        if ((!url.scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
            String authority = rest.substring(2);
            rest = "";
            int slash = authority.indexOf('/');
            if (slash >= 0) {
                rest = authority.substring(slash);
                authority = authority.substring(0, slash);
            }
            url.parseAuthority(authority);
        } else if (!url.scheme.isEmpty() && rest.startsWith("/")) {
            url.omitHost = true;
        }
        url.path = unescape(rest, ENCODE_PATH);
        url.rawPath = escape(url.path, ENCODE_PATH).equals(rest) ? "" : rest;
        return url;
    }

    private void parseAuthority(String authority) {
        int at = authority.lastIndexOf('@');
        host = parseHost(at < 0 ? authority : authority.substring(at + 1));
        if (at < 0) {
            return;
        }
        String userinfo = authority.substring(0, at);
        for (int i = 0; i < userinfo.length(); i++) {
            char c = userinfo.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "-._:~!$&'()*+,;=%@".indexOf(c) >= 0)) {
                throw new Bad("net/url: invalid userinfo");
            }
        }
        int colon = userinfo.indexOf(':');
        if (colon < 0) {
            user = new Userinfo(unescape(userinfo, ENCODE_USER_PASSWORD), "", false);
        } else {
            String name = unescape(userinfo.substring(0, colon), ENCODE_USER_PASSWORD);
            user = new Userinfo(name, unescape(userinfo.substring(colon + 1), ENCODE_USER_PASSWORD), true);
        }
    }

    private static String parseHost(String host) {
        if (host.startsWith("[")) {
            // an IP literal, maybe with a zone after %25
            int i = host.lastIndexOf(']');
            if (i < 0) {
                throw new Bad("missing ']' in host");
            }
            String colonPort = host.substring(i + 1);
            if (!validOptionalPort(colonPort)) {
                throw new Bad("invalid port " + GoFmt.quote(SprigMore.goString(colonPort)) + " after host");
            }
            int zone = host.substring(0, i).indexOf("%25");
            if (zone >= 0) {
                return unescape(host.substring(0, zone), ENCODE_HOST) + unescape(host.substring(zone, i), ENCODE_ZONE)
                        + unescape(host.substring(i), ENCODE_HOST);
            }
        } else {
            int i = host.lastIndexOf(':');
            if (i >= 0 && !validOptionalPort(host.substring(i))) {
                throw new Bad("invalid port " + GoFmt.quote(SprigMore.goString(host.substring(i))) + " after host");
            }
        }
        return unescape(host, ENCODE_HOST);
    }

    private static boolean validOptionalPort(String port) {
        if (port.isEmpty()) {
            return true;
        }
        if (port.charAt(0) != ':') {
            return false;
        }
        return port.substring(1).chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** URL.Hostname: the host without its port and brackets. */
    String hostname() {
        String h = host;
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && validOptionalPort(h.substring(colon))) {
            h = h.substring(0, colon);
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h;
    }

    /** URL.String. */
    String string() {
        StringBuilder b = new StringBuilder();
        if (!scheme.isEmpty()) {
            b.append(scheme).append(':');
        }
        if (!opaque.isEmpty()) {
            b.append(opaque);
        } else {
            if ((!scheme.isEmpty() || !host.isEmpty() || user != null) && !(omitHost && host.isEmpty() && user == null)) {
                if (!host.isEmpty() || !path.isEmpty() || user != null) {
                    b.append("//");
                }
                if (user != null) {
                    b.append(user.string()).append('@');
                }
                b.append(escape(host, ENCODE_HOST));
            }
            String p = escapedPath();
            if (!p.isEmpty() && p.charAt(0) != '/' && !host.isEmpty()) {
                b.append('/');
            }
            if (b.length() == 0) {
                // a colon in the first segment would read as a scheme
                int slash = p.indexOf('/');
                if ((slash < 0 ? p : p.substring(0, slash)).contains(":")) {
                    b.append("./");
                }
            }
            b.append(p);
        }
        if (forceQuery || !rawQuery.isEmpty()) {
            b.append('?').append(rawQuery);
        }
        if (!fragment.isEmpty()) {
            b.append('#').append(escapedFragment());
        }
        return b.toString();
    }

    private String escapedPath() {
        if (!rawPath.isEmpty() && validEncoded(rawPath, ENCODE_PATH) && path.equals(unescapeOrNull(rawPath, ENCODE_PATH))) {
            return rawPath;
        }
        if (path.equals("*")) {
            return "*";
        }
        return escape(path, ENCODE_PATH);
    }

    private String escapedFragment() {
        if (!rawFragment.isEmpty() && validEncoded(rawFragment, ENCODE_FRAGMENT) && fragment.equals(unescapeOrNull(rawFragment, ENCODE_FRAGMENT))) {
            return rawFragment;
        }
        return escape(fragment, ENCODE_FRAGMENT);
    }

    private static String unescapeOrNull(String s, int mode) {
        try {
            return unescape(s, mode);
        } catch (Bad e) {
            return null;
        }
    }

    private static boolean validEncoded(String s, int mode) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("!$&'()*+,;=:@[]%".indexOf(c) < 0 && shouldEscape(c, mode)) {
                return false;
            }
        }
        return true;
    }

    private static boolean shouldEscape(char c, int mode) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return false;
        }
        if ((mode == ENCODE_HOST || mode == ENCODE_ZONE) && "!$&'()*+,;=:[]<>\"".indexOf(c) >= 0) {
            return false;
        }
        switch (c) {
            case '-', '_', '.', '~' -> {
                return false;
            }
            case '$', '&', '+', ',', '/', ':', ';', '=', '?', '@' -> {
                switch (mode) {
                    case ENCODE_PATH -> {
                        return c == '?';
                    }
                    case ENCODE_USER_PASSWORD -> {
                        return c == '@' || c == '/' || c == '?' || c == ':';
                    }
                    case ENCODE_FRAGMENT -> {
                        return false;
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        if (mode == ENCODE_FRAGMENT && "!()*".indexOf(c) >= 0) {
            return false;
        }
        return true;
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0 && c < 0x80;
    }

    private static String unescape(String s, int mode) {
        int n = 0;
        for (int i = 0; i < s.length();) {
            char c = s.charAt(i);
            if (c == '%') {
                n++;
                if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
                    String bad = s.substring(i, Math.min(i + 3, s.length()));
                    throw new Bad("invalid URL escape " + GoFmt.quote(SprigMore.goString(bad)));
                }
                // a host escapes only bytes that are not ASCII, but for the %25 of a zone
                if (mode == ENCODE_HOST && Character.digit(s.charAt(i + 1), 16) < 8 && !s.startsWith("%25", i)) {
                    throw new Bad("invalid URL escape " + GoFmt.quote(s.substring(i, i + 3)));
                }
                if (mode == ENCODE_ZONE) {
                    char v = (char) (Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                    if (!s.startsWith("%25", i) && v != ' ' && shouldEscape(v, ENCODE_HOST)) {
                        throw new Bad("invalid URL escape " + GoFmt.quote(s.substring(i, i + 3)));
                    }
                }
                i += 3;
            } else {
                if ((mode == ENCODE_HOST || mode == ENCODE_ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    throw new Bad("invalid character " + GoFmt.quote(String.valueOf(c)) + " in host name");
                }
                i++;
            }
        }
        if (n == 0) {
            return s;
        }
        StringBuilder t = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                t.append((char) (Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16)));
                i += 2;
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }

    private static String escape(String s, int mode) {
        StringBuilder t = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (shouldEscape(c, mode)) {
                t.append('%').append("0123456789ABCDEF".charAt(c >> 4)).append("0123456789ABCDEF".charAt(c & 15));
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }
}
