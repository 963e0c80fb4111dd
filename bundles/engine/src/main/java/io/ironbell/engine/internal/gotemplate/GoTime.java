package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Go's time.Time: an instant (Unix seconds and nanoseconds) and its location, with
 * time.ParseInLocation, Format, String, GoString, MarshalJSON, Add and ParseDuration as Go 1.19
 * has them. time.Local is UTC, as for Tinkerbell's controller in its container (and for the
 * reference renderer, which runs with TZ=UTC): it is named UTC, and a zone named in the text
 * other than UTC becomes a fixed zone of its own.
 */
final class GoTime implements GoObject {

    /** A *time.Location: UTC (Go's nil), Local, or a fixed zone made by parsing (a new one each time, as in Go); its name in bytes. */
    private static final class Zone {
        static final Zone UTC = new Zone("UTC", 0);
        static final Zone LOCAL = new Zone("UTC", 0);

        final String name;
        final int offset;

        Zone(String name, int offset) {
            this.name = name;
            this.offset = offset;
        }
    }

    /** Seconds from 0001-01-01 to 1970-01-01: the zero Time is that day at midnight UTC. */
    private static final long UNIX_TO_INTERNAL = 62135596800L;
    static final GoTime ZERO = new GoTime(-UNIX_TO_INTERNAL, 0, Zone.UTC);

    private static final String[] LONG_DAYS = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    private static final String[] SHORT_DAYS = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    private static final String[] LONG_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December"};
    private static final String[] SHORT_MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    private static final int[] DAYS_BEFORE = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

    private final long sec;
    private final int nsec;
    private final Zone loc;

    GoTime(long sec, int nsec, Zone loc) {
        this.sec = sec;
        this.nsec = nsec;
        this.loc = loc;
    }

    long unix() {
        return sec;
    }

    int nanos() {
        return nsec;
    }

    // ---- what reflect, fmt and json see ----

    @Override
    public String typeName() {
        return "time.Time";
    }

    @Override
    public String string() {
        return format("2006-01-02 15:04:05.999999999 -0700 MST");
    }

    @Override
    public String goString() {
        LocalDateTime d = local();
        String where = loc == Zone.UTC ? "time.UTC" : loc == Zone.LOCAL ? "time.Local" : "time.Location(" + quote(loc.name) + ")";
        return "time.Date(" + d.getYear() + ", time." + LONG_MONTHS[d.getMonthValue() - 1] + ", " + d.getDayOfMonth() + ", " + d.getHour() + ", "
                + d.getMinute() + ", " + d.getSecond() + ", " + nsec + ", " + where + ")";
    }

    @Override
    public Object fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("wall", GoNumber.integer("uint64", nsec));
        f.put("ext", GoNumber.integer("int64", sec + UNIX_TO_INTERNAL));
        f.put("loc", new GoPointer("time.Location", loc == Zone.UTC ? null : new GoStruct("time.Location", Map.of())));
        return new GoStruct("time.Time", f);
    }

    @Override
    public String json() {
        int year = local().getYear();
        if (year < 0 || year >= 10000) {
            throw new FunctionError("Time.MarshalJSON: year outside of range [0,9999]");
        }
        return "\"" + format("2006-01-02T15:04:05.999999999Z07:00") + "\"";
    }

    @Override
    public Function method(String name) {
        return switch (name) {
            case "Year" -> getter(() -> (long) local().getYear());
            case "YearDay" -> getter(() -> (long) local().getDayOfYear());
            case "Day" -> getter(() -> (long) local().getDayOfMonth());
            case "Hour" -> getter(() -> (long) local().getHour());
            case "Minute" -> getter(() -> (long) local().getMinute());
            case "Second" -> getter(() -> (long) local().getSecond());
            case "Nanosecond" -> getter(() -> (long) nsec);
            case "Unix" -> getter(() -> GoNumber.integer("int64", sec));
            case "UnixMilli" -> getter(() -> GoNumber.integer("int64", sec * 1000 + nsec / 1_000_000));
            case "UnixMicro" -> getter(() -> GoNumber.integer("int64", sec * 1_000_000 + nsec / 1000));
            case "UnixNano" -> getter(() -> GoNumber.integer("int64", sec * 1_000_000_000 + nsec));
            case "IsZero" -> getter(() -> sec == ZERO.sec && nsec == 0);
            case "String" -> getter(this::string);
            case "UTC" -> getter(() -> new GoTime(sec, nsec, Zone.UTC));
            case "Local" -> getter(() -> new GoTime(sec, nsec, Zone.LOCAL));
            case "Format" -> new Fn(List.of("string"), false, a -> format((String) a.get(0)));
            case "Equal" -> new Fn(List.of("time.Time"), false, a -> compareTo((GoTime) a.get(0)) == 0);
            case "Before" -> new Fn(List.of("time.Time"), false, a -> compareTo((GoTime) a.get(0)) < 0);
            case "After" -> new Fn(List.of("time.Time"), false, a -> compareTo((GoTime) a.get(0)) > 0);
            default -> null;
        };
    }

    /** copystructure has a copier of its own for time.Time: the same value. */
    @Override
    public Object deepCopy() {
        return this;
    }

    private static Fn getter(java.util.function.Supplier<Object> body) {
        return new Fn(List.of(), false, a -> body.get());
    }

    private int compareTo(GoTime o) {
        return sec != o.sec ? Long.compare(sec, o.sec) : Integer.compare(nsec, o.nsec);
    }

    /** Go's == on Time: the same instant in the same *Location. */
    @Override
    public boolean equals(Object o) {
        return o instanceof GoTime t && t.sec == sec && t.nsec == nsec && t.loc == loc;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sec) * 31 + nsec;
    }

    @Override
    public String toString() {
        return string();
    }

    /** The wall clock in its location. */
    private LocalDateTime local() {
        return LocalDateTime.ofEpochSecond(sec + loc.offset, nsec, ZoneOffset.UTC);
    }

    /** Time.Add, with Go's clamping of the seconds where they overflow. */
    GoTime add(long d) {
        long dsec = d / 1_000_000_000L;
        long n = nsec + d % 1_000_000_000L;
        if (n >= 1_000_000_000L) {
            dsec++;
            n -= 1_000_000_000L;
        } else if (n < 0) {
            dsec--;
            n += 1_000_000_000L;
        }
        long ext = sec + UNIX_TO_INTERNAL;
        long sum = ext + dsec;
        if ((sum > ext) != (dsec > 0)) {
            sum = dsec > 0 ? Long.MAX_VALUE : -Long.MAX_VALUE;
        }
        return new GoTime(sum - UNIX_TO_INTERNAL, (int) n, loc);
    }

    // ---- layouts: Go strings as byte strings (one char a byte) ----

    private static final int STD_LONG_MONTH = 1;
    private static final int STD_MONTH = 2;
    private static final int STD_NUM_MONTH = 3;
    private static final int STD_ZERO_MONTH = 4;
    private static final int STD_LONG_WEEKDAY = 5;
    private static final int STD_WEEKDAY = 6;
    private static final int STD_DAY = 7;
    private static final int STD_UNDER_DAY = 8;
    private static final int STD_ZERO_DAY = 9;
    private static final int STD_UNDER_YEARDAY = 10;
    private static final int STD_ZERO_YEARDAY = 11;
    private static final int STD_HOUR = 12;
    private static final int STD_HOUR12 = 13;
    private static final int STD_ZERO_HOUR12 = 14;
    private static final int STD_MINUTE = 15;
    private static final int STD_ZERO_MINUTE = 16;
    private static final int STD_SECOND = 17;
    private static final int STD_ZERO_SECOND = 18;
    private static final int STD_LONG_YEAR = 19;
    private static final int STD_YEAR = 20;
    private static final int STD_PM = 21;
    private static final int STD_LOWER_PM = 22;
    private static final int STD_TZ = 23;
    private static final int STD_ISO8601_TZ = 24;
    private static final int STD_ISO8601_SECONDS_TZ = 25;
    private static final int STD_ISO8601_SHORT_TZ = 26;
    private static final int STD_ISO8601_COLON_TZ = 27;
    private static final int STD_ISO8601_COLON_SECONDS_TZ = 28;
    private static final int STD_NUM_TZ = 29;
    private static final int STD_NUM_SECONDS_TZ = 30;
    private static final int STD_NUM_SHORT_TZ = 31;
    private static final int STD_NUM_COLON_TZ = 32;
    private static final int STD_NUM_COLON_SECONDS_TZ = 33;
    private static final int STD_FRAC_SECOND0 = 34;
    private static final int STD_FRAC_SECOND9 = 35;
    private static final int[] STD_0X = {STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12, STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};

    /** A layout element: the text before it, what it is, its digits and separator (fractional seconds), the text after it. */
    private record Chunk(String prefix, int std, int digits, char separator, String suffix) {
        static Chunk of(String layout, int i, int std, int end) {
            return new Chunk(layout.substring(0, i), std, 0, '.', layout.substring(end));
        }
    }

    private static boolean startsWithLowerCase(String s) {
        return !s.isEmpty() && s.charAt(0) >= 'a' && s.charAt(0) <= 'z';
    }

    private static boolean at(String s, int i, String what) {
        return s.startsWith(what, i);
    }

    /** nextStdChunk: the first element of the layout (std 0 when there is none). */
    private static Chunk nextStdChunk(String layout) {
        int n = layout.length();
        for (int i = 0; i < n; i++) {
            char c = layout.charAt(i);
            switch (c) {
                case 'J' -> {
                    if (at(layout, i, "Jan")) {
                        if (at(layout, i, "January")) {
                            return Chunk.of(layout, i, STD_LONG_MONTH, i + 7);
                        }
                        if (!startsWithLowerCase(layout.substring(i + 3))) {
                            return Chunk.of(layout, i, STD_MONTH, i + 3);
                        }
                    }
                }
                case 'M' -> {
                    if (at(layout, i, "Mon")) {
                        if (at(layout, i, "Monday")) {
                            return Chunk.of(layout, i, STD_LONG_WEEKDAY, i + 6);
                        }
                        if (!startsWithLowerCase(layout.substring(i + 3))) {
                            return Chunk.of(layout, i, STD_WEEKDAY, i + 3);
                        }
                    }
                    if (at(layout, i, "MST")) {
                        return Chunk.of(layout, i, STD_TZ, i + 3);
                    }
                }
                case '0' -> {
                    if (i + 1 < n && layout.charAt(i + 1) >= '1' && layout.charAt(i + 1) <= '6') {
                        return Chunk.of(layout, i, STD_0X[layout.charAt(i + 1) - '1'], i + 2);
                    }
                    if (at(layout, i + 1, "02")) {
                        return Chunk.of(layout, i, STD_ZERO_YEARDAY, i + 3);
                    }
                }
                case '1' -> {
                    if (at(layout, i + 1, "5")) {
                        return Chunk.of(layout, i, STD_HOUR, i + 2);
                    }
                    return Chunk.of(layout, i, STD_NUM_MONTH, i + 1);
                }
                case '2' -> {
                    if (at(layout, i, "2006")) {
                        return Chunk.of(layout, i, STD_LONG_YEAR, i + 4);
                    }
                    return Chunk.of(layout, i, STD_DAY, i + 1);
                }
                case '_' -> {
                    if (at(layout, i + 1, "2")) {
                        // _2006 is a literal _ and a year
                        if (at(layout, i + 1, "2006")) {
                            return Chunk.of(layout, i + 1, STD_LONG_YEAR, i + 5);
                        }
                        return Chunk.of(layout, i, STD_UNDER_DAY, i + 2);
                    }
                    if (at(layout, i + 1, "_2")) {
                        return Chunk.of(layout, i, STD_UNDER_YEARDAY, i + 3);
                    }
                }
                case '3' -> {
                    return Chunk.of(layout, i, STD_HOUR12, i + 1);
                }
                case '4' -> {
                    return Chunk.of(layout, i, STD_MINUTE, i + 1);
                }
                case '5' -> {
                    return Chunk.of(layout, i, STD_SECOND, i + 1);
                }
                case 'P' -> {
                    if (at(layout, i + 1, "M")) {
                        return Chunk.of(layout, i, STD_PM, i + 2);
                    }
                }
                case 'p' -> {
                    if (at(layout, i + 1, "m")) {
                        return Chunk.of(layout, i, STD_LOWER_PM, i + 2);
                    }
                }
                case '-' -> {
                    for (Object[] z : new Object[][] {{"-070000", STD_NUM_SECONDS_TZ}, {"-07:00:00", STD_NUM_COLON_SECONDS_TZ}, {"-0700", STD_NUM_TZ},
                        {"-07:00", STD_NUM_COLON_TZ}, {"-07", STD_NUM_SHORT_TZ}}) {
                        if (at(layout, i, (String) z[0])) {
                            return Chunk.of(layout, i, (Integer) z[1], i + ((String) z[0]).length());
                        }
                    }
                }
                case 'Z' -> {
                    for (Object[] z : new Object[][] {{"Z070000", STD_ISO8601_SECONDS_TZ}, {"Z07:00:00", STD_ISO8601_COLON_SECONDS_TZ},
                        {"Z0700", STD_ISO8601_TZ}, {"Z07:00", STD_ISO8601_COLON_TZ}, {"Z07", STD_ISO8601_SHORT_TZ}}) {
                        if (at(layout, i, (String) z[0])) {
                            return Chunk.of(layout, i, (Integer) z[1], i + ((String) z[0]).length());
                        }
                    }
                }
                case '.', ',' -> {
                    if (i + 1 < n && (layout.charAt(i + 1) == '0' || layout.charAt(i + 1) == '9')) {
                        char ch = layout.charAt(i + 1);
                        int j = i + 1;
                        while (j < n && layout.charAt(j) == ch) {
                            j++;
                        }
                        // the digits must end here: only a fractional second is all digits
                        if (!isDigit(layout, j)) {
                            // Go keeps the count in 12 bits
                            return new Chunk(layout.substring(0, i), ch == '9' ? STD_FRAC_SECOND9 : STD_FRAC_SECOND0, (j - (i + 1)) & 0xfff, c,
                                    layout.substring(j));
                        }
                    }
                }
                default -> {
                }
            }
        }
        return new Chunk(layout, 0, 0, '.', "");
    }

    private static boolean isDigit(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    private static void appendInt(StringBuilder b, long x, int width) {
        String digits = Long.toString(Math.abs(x));
        if (x < 0) {
            b.append('-');
        }
        for (int w = digits.length(); w < width; w++) {
            b.append('0');
        }
        b.append(digits);
    }

    /** Time.Format. */
    String format(String goLayout) {
        String layout = SprigMore.byteString(goLayout);
        LocalDateTime d = local();
        StringBuilder b = new StringBuilder();
        while (!layout.isEmpty()) {
            Chunk c = nextStdChunk(layout);
            b.append(c.prefix());
            if (c.std() == 0) {
                break;
            }
            layout = c.suffix();
            int hour = d.getHour();
            switch (c.std()) {
                case STD_YEAR -> appendInt(b, Math.abs(d.getYear()) % 100, 2);
                case STD_LONG_YEAR -> appendInt(b, d.getYear(), 4);
                case STD_MONTH -> b.append(SHORT_MONTHS[d.getMonthValue() - 1]);
                case STD_LONG_MONTH -> b.append(LONG_MONTHS[d.getMonthValue() - 1]);
                case STD_NUM_MONTH -> appendInt(b, d.getMonthValue(), 0);
                case STD_ZERO_MONTH -> appendInt(b, d.getMonthValue(), 2);
                case STD_WEEKDAY -> b.append(SHORT_DAYS[d.getDayOfWeek().getValue() % 7]);
                case STD_LONG_WEEKDAY -> b.append(LONG_DAYS[d.getDayOfWeek().getValue() % 7]);
                case STD_DAY -> appendInt(b, d.getDayOfMonth(), 0);
                case STD_UNDER_DAY -> {
                    if (d.getDayOfMonth() < 10) {
                        b.append(' ');
                    }
                    appendInt(b, d.getDayOfMonth(), 0);
                }
                case STD_ZERO_DAY -> appendInt(b, d.getDayOfMonth(), 2);
                case STD_UNDER_YEARDAY -> {
                    int yday = d.getDayOfYear();
                    b.append(yday < 10 ? "  " : yday < 100 ? " " : "");
                    appendInt(b, yday, 0);
                }
                case STD_ZERO_YEARDAY -> appendInt(b, d.getDayOfYear(), 3);
                case STD_HOUR -> appendInt(b, hour, 2);
                case STD_HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 0);
                case STD_ZERO_HOUR12 -> appendInt(b, hour % 12 == 0 ? 12 : hour % 12, 2);
                case STD_MINUTE -> appendInt(b, d.getMinute(), 0);
                case STD_ZERO_MINUTE -> appendInt(b, d.getMinute(), 2);
                case STD_SECOND -> appendInt(b, d.getSecond(), 0);
                case STD_ZERO_SECOND -> appendInt(b, d.getSecond(), 2);
                case STD_PM -> b.append(hour >= 12 ? "PM" : "AM");
                case STD_LOWER_PM -> b.append(hour >= 12 ? "pm" : "am");
                case STD_TZ -> {
                    if (!loc.name.isEmpty()) {
                        b.append(loc.name);
                    } else {
                        int zone = loc.offset / 60;
                        b.append(zone < 0 ? '-' : '+');
                        appendInt(b, Math.abs(zone) / 60, 2);
                        appendInt(b, Math.abs(zone) % 60, 2);
                    }
                }
                case STD_FRAC_SECOND0, STD_FRAC_SECOND9 -> formatNano(b, c);
                default -> formatZone(b, c.std());
            }
        }
        return SprigMore.goString(b.toString());
    }

    private void formatZone(StringBuilder b, int std) {
        boolean iso = std == STD_ISO8601_TZ || std == STD_ISO8601_COLON_TZ || std == STD_ISO8601_SECONDS_TZ || std == STD_ISO8601_SHORT_TZ
                || std == STD_ISO8601_COLON_SECONDS_TZ;
        // the Z forms write Z for UTC
        if (loc.offset == 0 && iso) {
            b.append('Z');
            return;
        }
        int zone = loc.offset / 60;
        int absOffset = loc.offset;
        if (zone < 0) {
            b.append('-');
            zone = -zone;
            absOffset = -absOffset;
        } else {
            b.append('+');
        }
        appendInt(b, zone / 60, 2);
        boolean colon = std == STD_ISO8601_COLON_TZ || std == STD_NUM_COLON_TZ || std == STD_ISO8601_COLON_SECONDS_TZ
                || std == STD_NUM_COLON_SECONDS_TZ;
        if (colon) {
            b.append(':');
        }
        if (std != STD_NUM_SHORT_TZ && std != STD_ISO8601_SHORT_TZ) {
            appendInt(b, zone % 60, 2);
        }
        if (std == STD_ISO8601_SECONDS_TZ || std == STD_NUM_SECONDS_TZ || std == STD_NUM_COLON_SECONDS_TZ || std == STD_ISO8601_COLON_SECONDS_TZ) {
            if (std == STD_NUM_COLON_SECONDS_TZ || std == STD_ISO8601_COLON_SECONDS_TZ) {
                b.append(':');
            }
            appendInt(b, absOffset % 60, 2);
        }
    }

    private void formatNano(StringBuilder b, Chunk c) {
        String digits = String.format("%09d", nsec);
        int n = Math.min(c.digits(), 9);
        if (c.std() == STD_FRAC_SECOND9) {
            while (n > 0 && digits.charAt(n - 1) == '0') {
                n--;
            }
            if (n == 0) {
                return;
            }
        }
        b.append(c.separator()).append(digits, 0, n);
    }

    // ---- parsing ----

    /** time.ParseInLocation(layout, value, time.Local); a FunctionError with Go's ParseError text where it fails. */
    static GoTime parse(String goLayout, String goValue) {
        return new Parser(SprigMore.byteString(goLayout), SprigMore.byteString(goValue)).parse();
    }

    /** The parse of one layout against one value: Go's parse, its locals as fields. */
    private static final class Parser {
        private final String alayout;
        private final String avalue;
        private String value;
        private boolean bad;

        Parser(String layout, String value) {
            this.alayout = layout;
            this.avalue = value;
            this.value = value;
        }

        private FunctionError error(String layoutElem, String valueElem, String message) {
            if (message.isEmpty()) {
                return new FunctionError("parsing time " + quote(avalue) + " as " + quote(alayout) + ": cannot parse " + quote(valueElem) + " as "
                        + quote(layoutElem));
            }
            return new FunctionError("parsing time " + quote(avalue) + message);
        }

        /** getnum: one or two digits (two when fixed). */
        private int getnum(boolean fixed) {
            if (!isDigit(value, 0)) {
                bad = true;
                return 0;
            }
            if (!isDigit(value, 1)) {
                if (fixed) {
                    bad = true;
                    return 0;
                }
                int n = value.charAt(0) - '0';
                value = value.substring(1);
                return n;
            }
            int n = (value.charAt(0) - '0') * 10 + value.charAt(1) - '0';
            value = value.substring(2);
            return n;
        }

        /** getnum3: one to three digits (three when fixed). */
        private int getnum3(boolean fixed) {
            int n = 0;
            int i = 0;
            for (; i < 3 && isDigit(value, i); i++) {
                n = n * 10 + value.charAt(i) - '0';
            }
            if (i == 0 || fixed && i != 3) {
                bad = true;
                return 0;
            }
            value = value.substring(i);
            return n;
        }

        /** lookup: a name of the table at the start of the value, ignoring ASCII case. */
        private int lookup(String[] table) {
            for (int i = 0; i < table.length; i++) {
                String v = table[i];
                if (value.length() >= v.length() && matchFold(value.substring(0, v.length()), v)) {
                    value = value.substring(v.length());
                    return i;
                }
            }
            bad = true;
            return -1;
        }

        /** skip: the prefix off the value, a run of spaces matching any run of spaces. */
        private void skip(String prefix) {
            while (!prefix.isEmpty()) {
                if (prefix.charAt(0) == ' ') {
                    if (!value.isEmpty() && value.charAt(0) != ' ') {
                        bad = true;
                        return;
                    }
                    prefix = cutSpace(prefix);
                    value = cutSpace(value);
                    continue;
                }
                if (value.isEmpty() || value.charAt(0) != prefix.charAt(0)) {
                    bad = true;
                    return;
                }
                prefix = prefix.substring(1);
                value = value.substring(1);
            }
        }

        /** parseNanoseconds: {nanoseconds, or -1 for out of range}; bad where it is no fraction. */
        private long nanoseconds(String v, int nbytes) {
            if (v.charAt(0) != '.' && v.charAt(0) != ',') {
                bad = true;
                return 0;
            }
            if (nbytes > 10) {
                v = v.substring(0, 10);
                nbytes = 10;
            }
            Long ns = atoi(v.substring(1, nbytes));
            if (ns == null) {
                bad = true;
                return 0;
            }
            if (ns < 0) {
                return -1;
            }
            for (int i = 0; i < 10 - nbytes; i++) {
                ns *= 10;
            }
            return ns;
        }

        GoTime parse() {
            String layout = alayout;
            String rangeErr = "";
            boolean amSet = false;
            boolean pmSet = false;
            int year = 0;
            int month = -1;
            int day = -1;
            int yday = -1;
            int hour = 0;
            int min = 0;
            int sec = 0;
            long nsec = 0;
            Zone z = null;
            int zoneOffset = -1;
            String zoneName = "";
            while (true) {
                Chunk c = nextStdChunk(layout);
                String stdstr = layout.substring(c.prefix().length(), layout.length() - c.suffix().length());
                skip(c.prefix());
                if (bad) {
                    throw error(c.prefix(), value, "");
                }
                if (c.std() == 0) {
                    if (!value.isEmpty()) {
                        throw error("", value, ": extra text: " + quote(value));
                    }
                    break;
                }
                layout = c.suffix();
                int std = c.std();
                switch (std) {
                    case STD_YEAR -> {
                        if (value.length() < 2) {
                            bad = true;
                            break;
                        }
                        Long y = atoi(value.substring(0, 2));
                        if (y == null) {
                            bad = true;
                        } else {
                            value = value.substring(2);
                            year = (int) (y >= 69 ? y + 1900 : y + 2000);
                        }
                    }
                    case STD_LONG_YEAR -> {
                        if (value.length() < 4 || !isDigit(value, 0)) {
                            bad = true;
                            break;
                        }
                        Long y = atoi(value.substring(0, 4));
                        value = value.substring(4);
                        if (y == null) {
                            bad = true;
                        } else {
                            year = y.intValue();
                        }
                    }
                    case STD_MONTH -> month = lookup(SHORT_MONTHS) + 1;
                    case STD_LONG_MONTH -> month = lookup(LONG_MONTHS) + 1;
                    case STD_NUM_MONTH, STD_ZERO_MONTH -> {
                        month = getnum(std == STD_ZERO_MONTH);
                        if (!bad && (month <= 0 || month > 12)) {
                            rangeErr = "month";
                        }
                    }
                    // the weekday is checked for syntax only
                    case STD_WEEKDAY -> lookup(SHORT_DAYS);
                    case STD_LONG_WEEKDAY -> lookup(LONG_DAYS);
                    case STD_DAY, STD_UNDER_DAY, STD_ZERO_DAY -> {
                        if (std == STD_UNDER_DAY && value.startsWith(" ")) {
                            value = value.substring(1);
                        }
                        day = getnum(std == STD_ZERO_DAY);
                    }
                    case STD_UNDER_YEARDAY, STD_ZERO_YEARDAY -> {
                        for (int i = 0; i < 2; i++) {
                            if (std == STD_UNDER_YEARDAY && value.startsWith(" ")) {
                                value = value.substring(1);
                            }
                        }
                        yday = getnum3(std == STD_ZERO_YEARDAY);
                    }
                    case STD_HOUR -> {
                        hour = getnum(false);
                        if (hour >= 24) {
                            rangeErr = "hour";
                        }
                    }
                    case STD_HOUR12, STD_ZERO_HOUR12 -> {
                        hour = getnum(std == STD_ZERO_HOUR12);
                        if (hour > 12) {
                            rangeErr = "hour";
                        }
                    }
                    case STD_MINUTE, STD_ZERO_MINUTE -> {
                        min = getnum(std == STD_ZERO_MINUTE);
                        if (min >= 60) {
                            rangeErr = "minute";
                        }
                    }
                    case STD_SECOND, STD_ZERO_SECOND -> {
                        sec = getnum(std == STD_ZERO_SECOND);
                        if (sec >= 60) {
                            rangeErr = "second";
                            break;
                        }
                        // a fractional second in the value that the layout does not have
                        if (value.length() >= 2 && (value.charAt(0) == '.' || value.charAt(0) == ',') && isDigit(value, 1)) {
                            int next = nextStdChunk(layout).std();
                            if (next == STD_FRAC_SECOND0 || next == STD_FRAC_SECOND9) {
                                break;
                            }
                            int n = 2;
                            while (n < value.length() && isDigit(value, n)) {
                                n++;
                            }
                            nsec = nanoseconds(value, n);
                            if (nsec < 0) {
                                rangeErr = "fractional second";
                            }
                            value = value.substring(n);
                        }
                    }
                    case STD_PM, STD_LOWER_PM -> {
                        if (value.length() < 2) {
                            bad = true;
                            break;
                        }
                        String p = value.substring(0, 2);
                        value = value.substring(2);
                        if (p.equals(std == STD_PM ? "PM" : "pm")) {
                            pmSet = true;
                        } else if (p.equals(std == STD_PM ? "AM" : "am")) {
                            amSet = true;
                        } else {
                            bad = true;
                        }
                    }
                    case STD_TZ -> {
                        if (value.startsWith("UTC")) {
                            z = Zone.UTC;
                            value = value.substring(3);
                            break;
                        }
                        int n = parseTimeZone(value);
                        if (n == 0) {
                            bad = true;
                            break;
                        }
                        zoneName = value.substring(0, n);
                        value = value.substring(n);
                    }
                    case STD_FRAC_SECOND0 -> {
                        // exactly as many digits as the layout has
                        int ndigit = 1 + c.digits();
                        if (value.length() < ndigit) {
                            bad = true;
                            break;
                        }
                        nsec = nanoseconds(value, ndigit);
                        if (nsec < 0) {
                            rangeErr = "fractional second";
                        }
                        value = value.substring(ndigit);
                    }
                    case STD_FRAC_SECOND9 -> {
                        if (value.length() < 2 || value.charAt(0) != '.' && value.charAt(0) != ',' || !isDigit(value, 1)) {
                            break;
                        }
                        int i = 0;
                        while (i < 9 && i + 1 < value.length() && isDigit(value, i + 1)) {
                            i++;
                        }
                        nsec = nanoseconds(value, 1 + i);
                        if (nsec < 0) {
                            rangeErr = "fractional second";
                        }
                        value = value.substring(1 + i);
                    }
                    default -> {
                        if ((std == STD_ISO8601_TZ || std == STD_ISO8601_SHORT_TZ || std == STD_ISO8601_COLON_TZ) && value.startsWith("Z")) {
                            value = value.substring(1);
                            z = Zone.UTC;
                            break;
                        }
                        Integer offset = zoneOffset(std);
                        if (offset != null) {
                            zoneOffset = offset;
                        }
                    }
                }
                if (!rangeErr.isEmpty()) {
                    throw error(stdstr, value, ": " + rangeErr + " out of range");
                }
                if (bad) {
                    throw error(stdstr, value, "");
                }
            }
            if (pmSet && hour < 12) {
                hour += 12;
            } else if (amSet && hour == 12) {
                hour = 0;
            }
            if (yday >= 0) {
                int d = 0;
                int m = 0;
                if (isLeap(year)) {
                    if (yday == 31 + 29) {
                        m = 2;
                        d = 29;
                    } else if (yday > 31 + 29) {
                        yday--;
                    }
                }
                if (yday < 1 || yday > 365) {
                    throw error("", value, ": day-of-year out of range");
                }
                if (m == 0) {
                    m = (yday - 1) / 31 + 1;
                    if (DAYS_BEFORE[m] < yday) {
                        m++;
                    }
                    d = yday - DAYS_BEFORE[m - 1];
                }
                if (month >= 0 && month != m) {
                    throw error("", value, ": day-of-year does not match month");
                }
                month = m;
                if (day >= 0 && day != d) {
                    throw error("", value, ": day-of-year does not match day");
                }
                day = d;
            } else {
                month = month < 0 ? 1 : month;
                day = day < 0 ? 1 : day;
            }
            if (day < 1 || day > daysIn(month, year)) {
                throw error("", value, ": day out of range");
            }
            long utc = LocalDateTime.of(year, month, day, hour, min, sec).toEpochSecond(ZoneOffset.UTC);
            if (z != null) {
                return new GoTime(utc, (int) nsec, z);
            }
            if (zoneOffset != -1) {
                // Local (UTC) has this offset only when it is 0 and no other zone was named
                if (zoneOffset == 0 && zoneName.isEmpty()) {
                    return new GoTime(utc, (int) nsec, Zone.LOCAL);
                }
                return new GoTime(utc - zoneOffset, (int) nsec, new Zone(zoneName, zoneOffset));
            }
            if (!zoneName.isEmpty()) {
                // a name Local does not know: a zone of that name, offset 0 but for GMT+h, the instant read as UTC
                int offset = 0;
                if (zoneName.length() > 3 && zoneName.startsWith("GMT")) {
                    offset = atoi(zoneName.substring(3)).intValue() * 3600;
                }
                return new GoTime(utc, (int) nsec, new Zone(zoneName, offset));
            }
            return new GoTime(utc, (int) nsec, Zone.LOCAL);
        }

        /** A numeric zone at the start of the value, in seconds east of UTC; null (and bad) where it is none. */
        private Integer zoneOffset(int std) {
            String sign;
            String hh;
            String mm = "00";
            String ss = "00";
            if (std == STD_ISO8601_COLON_TZ || std == STD_NUM_COLON_TZ) {
                if (value.length() < 6 || value.charAt(3) != ':') {
                    bad = true;
                    return null;
                }
                sign = value.substring(0, 1);
                hh = value.substring(1, 3);
                mm = value.substring(4, 6);
                value = value.substring(6);
            } else if (std == STD_NUM_SHORT_TZ || std == STD_ISO8601_SHORT_TZ) {
                if (value.length() < 3) {
                    bad = true;
                    return null;
                }
                sign = value.substring(0, 1);
                hh = value.substring(1, 3);
                value = value.substring(3);
            } else if (std == STD_ISO8601_COLON_SECONDS_TZ || std == STD_NUM_COLON_SECONDS_TZ) {
                if (value.length() < 9 || value.charAt(3) != ':' || value.charAt(6) != ':') {
                    bad = true;
                    return null;
                }
                sign = value.substring(0, 1);
                hh = value.substring(1, 3);
                mm = value.substring(4, 6);
                ss = value.substring(7, 9);
                value = value.substring(9);
            } else if (std == STD_ISO8601_SECONDS_TZ || std == STD_NUM_SECONDS_TZ) {
                if (value.length() < 7) {
                    bad = true;
                    return null;
                }
                sign = value.substring(0, 1);
                hh = value.substring(1, 3);
                mm = value.substring(3, 5);
                ss = value.substring(5, 7);
                value = value.substring(7);
            } else {
                if (value.length() < 5) {
                    bad = true;
                    return null;
                }
                sign = value.substring(0, 1);
                hh = value.substring(1, 3);
                mm = value.substring(3, 5);
                value = value.substring(5);
            }
            Long h = atoi(hh);
            Long m = h == null ? null : atoi(mm);
            Long s = m == null ? null : atoi(ss);
            // Go computes the offset from what parsed before it notices a bad part
            long offset = ((h == null ? 0 : h) * 60 + (m == null ? 0 : m)) * 60 + (s == null ? 0 : s);
            if (s == null) {
                bad = true;
            }
            switch (sign.charAt(0)) {
                case '+' -> {
                }
                case '-' -> offset = -offset;
                default -> bad = true;
            }
            return (int) offset;
        }
    }

    private static String cutSpace(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        return s.substring(i);
    }

    private static boolean matchFold(String s1, String s2) {
        for (int i = 0; i < s1.length(); i++) {
            int c1 = s1.charAt(i);
            int c2 = s2.charAt(i);
            if (c1 != c2) {
                c1 |= 'a' - 'A';
                c2 |= 'a' - 'A';
                if (c1 != c2 || c1 < 'a' || c1 > 'z') {
                    return false;
                }
            }
        }
        return true;
    }

    /** parseTimeZone: the length of the zone name at the start of the value, 0 where there is none. */
    private static int parseTimeZone(String value) {
        if (value.length() < 3) {
            return 0;
        }
        if (value.startsWith("ChST") || value.startsWith("MeST")) {
            return 4;
        }
        if (value.startsWith("GMT")) {
            return value.length() == 3 ? 3 : 3 + parseSignedOffset(value.substring(3));
        }
        if (value.charAt(0) == '+' || value.charAt(0) == '-') {
            return parseSignedOffset(value);
        }
        int upper = 0;
        while (upper < 6 && upper < value.length() && value.charAt(upper) >= 'A' && value.charAt(upper) <= 'Z') {
            upper++;
        }
        return switch (upper) {
            case 3 -> 3;
            case 4 -> value.charAt(3) == 'T' || value.startsWith("WITA") ? 4 : 0;
            case 5 -> value.charAt(4) == 'T' ? 5 : 0;
            default -> 0;
        };
    }

    /** parseSignedOffset: the length of a sign and an hour from -23 to +23, 0 where there is none. */
    private static int parseSignedOffset(String value) {
        char sign = value.charAt(0);
        if (sign != '-' && sign != '+') {
            return 0;
        }
        int i = 1;
        long x = 0;
        while (i < value.length() && isDigit(value, i)) {
            x = x * 10 + value.charAt(i) - '0';
            // leadingInt fails past 1<<63; any such value is above 23
            if (x > 23) {
                return 0;
            }
            i++;
        }
        return i == 1 ? 0 : i;
    }

    /** time's atoi: an optional sign and digits; null where that is not all. */
    private static Long atoi(String s) {
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        long[] x = leadingInt(s);
        if (x == null || x[1] != s.length()) {
            return null;
        }
        return neg ? -x[0] : x[0];
    }

    /** leadingInt: {value, digits consumed}; null past 1<<63. */
    private static long[] leadingInt(String s) {
        long x = 0;
        int i = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            if (Long.compareUnsigned(x, Long.MIN_VALUE / 10 * -1) > 0) {
                return null;
            }
            x = x * 10 + c - '0';
            if (Long.compareUnsigned(x, Long.MIN_VALUE) > 0) {
                return null;
            }
        }
        return new long[] {x, i};
    }

    private static boolean isLeap(int year) {
        return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    private static int daysIn(int month, int year) {
        if (month == 2 && isLeap(year)) {
            return 29;
        }
        return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1];
    }

    /** time's own quote (not strconv's): a byte outside printable ASCII as \xNN. */
    static String quote(String bytes) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < bytes.length(); i++) {
            char c = bytes.charAt(i);
            if (c >= 0x80 || c < ' ') {
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            } else {
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** time.ParseDuration, with its errors. */
    static long parseDuration(String goText) {
        String orig = SprigMore.byteString(goText);
        String s = orig;
        FunctionError invalid = new FunctionError("time: invalid duration " + quote(orig));
        boolean neg = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            neg = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        if (s.isEmpty()) {
            throw invalid;
        }
        long d = 0;
        while (!s.isEmpty()) {
            if (!(s.charAt(0) == '.' || isDigit(s, 0))) {
                throw invalid;
            }
            long[] lead = leadingInt(s);
            if (lead == null) {
                throw invalid;
            }
            long v = lead[0];
            boolean pre = lead[1] > 0;
            s = s.substring((int) lead[1]);
            long f = 0;
            double scale = 1;
            boolean post = false;
            if (s.startsWith(".")) {
                s = s.substring(1);
                int i = 0;
                boolean overflow = false;
                for (; i < s.length() && isDigit(s, i); i++) {
                    if (overflow) {
                        continue;
                    }
                    if (Long.compareUnsigned(f, Long.MAX_VALUE / 10) > 0) {
                        overflow = true;
                        continue;
                    }
                    long y = f * 10 + s.charAt(i) - '0';
                    if (Long.compareUnsigned(y, Long.MIN_VALUE) > 0) {
                        overflow = true;
                        continue;
                    }
                    f = y;
                    scale *= 10;
                }
                post = i > 0;
                s = s.substring(i);
            }
            if (!pre && !post) {
                throw invalid;
            }
            int i = 0;
            while (i < s.length() && s.charAt(i) != '.' && !isDigit(s, i)) {
                i++;
            }
            if (i == 0) {
                throw new FunctionError("time: missing unit in duration " + quote(orig));
            }
            String u = s.substring(0, i);
            s = s.substring(i);
            long unit = switch (u) {
                case "ns" -> 1L;
                // µ (U+00B5) and μ (U+03BC) as UTF-8 bytes
                case "us", "\u00c2\u00b5s", "\u00ce\u00bcs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> throw new FunctionError("time: unknown unit " + quote(u) + " in duration " + quote(orig));
            };
            if (Long.compareUnsigned(v, Long.divideUnsigned(Long.MIN_VALUE, unit)) > 0) {
                throw invalid;
            }
            v *= unit;
            if (f > 0) {
                v += (long) (GoStrings.unsignedToDouble(f) * ((double) unit / scale));
                if (Long.compareUnsigned(v, Long.MIN_VALUE) > 0) {
                    throw invalid;
                }
            }
            d += v;
            if (Long.compareUnsigned(d, Long.MIN_VALUE) > 0) {
                throw invalid;
            }
        }
        if (neg) {
            return -d;
        }
        if (d < 0) {
            throw invalid;
        }
        return d;
    }
}
