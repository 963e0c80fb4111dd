package io.ironbell.syslog.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * One syslog message, parsed from a datagram in either format: RFC 5424 ({@code <PRI>1 TIMESTAMP
 * HOST APP PROCID MSGID SD MSG}) or the BSD format of RFC 3164 ({@code <PRI>Mmm dd hh:mm:ss HOST
 * TAG: MSG}, where timestamp and host may be missing). A datagram without a valid priority is
 * not syslog and is refused. Control characters in the tag and the message are escaped as
 * rsyslog escapes them on receipt ({@code #033} for ESC, octal), C1 controls too: a datagram
 * is anyone's, and must not reach an operator's terminal as escape sequences or forged lines.
 *
 * @param facility  0–23
 * @param severity  0 (emerg) – 7 (debug)
 * @param timestamp when the sender says it happened (RFC 5424 only), or null
 * @param host      the sender's host name, or null
 * @param app       the application or tag, or null
 * @param text      the message
 */
record SyslogMessage(int facility, int severity, Instant timestamp, String host, String app, String text) {

    static final String[] SEVERITIES = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    private static final Set<String> MONTHS = Set.of("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec");

    /** Why a datagram is not a syslog message. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    String severityName() {
        return SEVERITIES[severity];
    }

    /** The line as a machine's log keeps it: {@code app: text}. */
    String line() {
        return app == null ? text : app + ": " + text;
    }

    static SyslogMessage parse(byte[] datagram, int length) throws MalformedException {
        if (length < 3 || datagram[0] != '<') {
            throw new MalformedException("no <priority> at the start");
        }
        int i = 1;
        int pri = 0;
        while (i < length && i <= 4 && datagram[i] >= '0' && datagram[i] <= '9') {
            pri = pri * 10 + (datagram[i] - '0');
            i++;
        }
        if (i == 1 || i > 4 || i >= length || datagram[i] != '>' || pri > 191) {
            throw new MalformedException("the priority is not <0> to <191>");
        }
        String rest = new String(datagram, i + 1, length - i - 1, StandardCharsets.UTF_8);
        int facility = pri / 8;
        int severity = pri % 8;
        if (rest.startsWith("1 ")) {
            return rfc5424(facility, severity, rest.substring(2));
        }
        return rfc3164(facility, severity, rest);
    }

    private static SyslogMessage rfc5424(int facility, int severity, String s) throws MalformedException {
        String[] f = new String[5];
        int pos = 0;
        for (int k = 0; k < 5; k++) {
            int sp = s.indexOf(' ', pos);
            if (sp < 0) {
                throw new MalformedException("RFC 5424 header ends early");
            }
            f[k] = s.substring(pos, sp);
            pos = sp + 1;
        }
        Instant at = null;
        if (!f[0].equals("-")) {
            try {
                at = OffsetDateTime.parse(f[0]).toInstant();
            } catch (DateTimeParseException e) {
                throw new MalformedException("RFC 5424 timestamp is not RFC 3339: " + f[0]);
            }
        }
        int msgStart = structuredDataEnd(s, pos);
        String msg = msgStart >= s.length() ? "" : s.substring(msgStart);
        if (msg.startsWith("\uFEFF")) {
            msg = msg.substring(1);
        }
        return new SyslogMessage(facility, severity, at, nil(f[1]), escape(nil(f[2])), escape(trimEnd(msg)));
    }

    /** Skips "-" or one or more [id param="value"] elements (quoted values may hold \] and \"). */
    private static int structuredDataEnd(String s, int pos) throws MalformedException {
        if (pos >= s.length()) {
            return pos;
        }
        if (s.charAt(pos) == '-') {
            return pos + 2;
        }
        while (pos < s.length() && s.charAt(pos) == '[') {
            boolean quoted = false;
            pos++;
            while (true) {
                if (pos >= s.length()) {
                    throw new MalformedException("RFC 5424 structured data is not closed");
                }
                char c = s.charAt(pos);
                if (quoted && c == '\\') {
                    pos += 2;
                    continue;
                }
                if (c == '"') {
                    quoted = !quoted;
                } else if (c == ']' && !quoted) {
                    pos++;
                    break;
                }
                pos++;
            }
        }
        return pos + 1;
    }

    private static SyslogMessage rfc3164(int facility, int severity, String s) {
        String host = null;
        String rest = s;
        if (s.length() >= 16 && MONTHS.contains(s.substring(0, 3)) && s.charAt(3) == ' ' && s.charAt(6) == ' '
                && s.charAt(9) == ':' && s.charAt(12) == ':' && s.charAt(15) == ' ') {
            rest = s.substring(16);
            int sp = rest.indexOf(' ');
            if (sp > 0 && !rest.substring(0, sp).endsWith(":")) {
                host = rest.substring(0, sp);
                rest = rest.substring(sp + 1);
            }
        }
        String app = null;
        int end = 0;
        while (end < rest.length() && end <= 48 && (Character.isLetterOrDigit(rest.charAt(end)) || "-_./".indexOf(rest.charAt(end)) >= 0)) {
            end++;
        }
        if (end > 0 && end < rest.length() && (rest.charAt(end) == ':' || rest.charAt(end) == '[')) {
            int colon = rest.indexOf(':', end);
            // keep a [pid] with its tag: sshd[812]
            app = colon >= 0 && colon - end <= 12 ? rest.substring(0, colon) : rest.substring(0, end);
            if (colon >= 0) {
                rest = rest.substring(colon + 1).stripLeading();
            }
        }
        return new SyslogMessage(facility, severity, null, host, escape(app), escape(trimEnd(rest)));
    }

    private static String nil(String field) {
        return field.equals("-") ? null : field;
    }

    /** {@code s} with each control character (C0, DEL, C1) as {@code #} and its three octal digits. */
    static String escape(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || c >= 0x7f && c <= 0x9f;
            if (control && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (control) {
                    b.append('#').append((char) ('0' + (c >> 6))).append((char) ('0' + (c >> 3 & 7))).append((char) ('0' + (c & 7)));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    private static String trimEnd(String s) {
        int e = s.length();
        while (e > 0 && (s.charAt(e - 1) == '\n' || s.charAt(e - 1) == '\r' || s.charAt(e - 1) == '\0')) {
            e--;
        }
        return s.substring(0, e);
    }
}
