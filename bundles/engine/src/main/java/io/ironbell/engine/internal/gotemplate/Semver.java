package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Builtins.Fn;
import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masterminds/semver v3.2.0 as Sprig uses it: NewVersion (SemVer-ish text coerced), its String,
 * Compare and methods, and NewConstraint with Check (ranges, ^, ~, wildcards, prereleases, || and
 * commas). A *semver.Version or a semver.Version (what IncMajor and friends return); its numbers
 * are uint64. Mutable, as mergo copies one Version over another through a pointer. The regular
 * expressions are Go's, with RE2's \s and $ spelled out.
 */
final class Semver implements GoObject {

    private static final String SPACE = "[\\t\\n\\f\\r ]";
    private static final String VERSION = "v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
            + "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";
    private static final Pattern VERSION_REGEX = Pattern.compile("^" + VERSION + "\\z");
    private static final String CV = "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
            + "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";
    private static final String OPS = "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^";
    private static final Pattern CONSTRAINT = Pattern.compile("^" + SPACE + "*(" + OPS + ")" + SPACE + "*(" + CV + ")" + SPACE + "*\\z");
    private static final Pattern RANGE = Pattern.compile(SPACE + "*(" + CV + ")" + SPACE + "+-" + SPACE + "+(" + CV + ")" + SPACE + "*");
    private static final Pattern FIND = Pattern.compile("(" + OPS + ")" + SPACE + "*(" + CV + ")");
    private static final Pattern VALID = Pattern.compile("^(" + SPACE + "*(" + OPS + ")" + SPACE + "*(" + CV + ")" + SPACE + "*)((?:" + SPACE
            + "+|," + SPACE + "*)(" + OPS + ")" + SPACE + "*(" + CV + ")" + SPACE + "*)*\\z");

    private long major;
    private long minor;
    private long patch;
    private String pre;
    private String metadata;
    private String original;
    private final boolean pointer;

    private Semver(long major, long minor, long patch, String pre, String metadata, String original, boolean pointer) {
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.pre = pre;
        this.metadata = metadata;
        this.original = original;
        this.pointer = pointer;
    }

    /** NewVersion. */
    static Semver parse(String v) {
        Matcher m = VERSION_REGEX.matcher(v);
        if (!m.find()) {
            throw new FunctionError("Invalid Semantic Version");
        }
        Semver sv = new Semver(segment(m.group(1)), m.group(2) == null ? 0 : segment(m.group(2).substring(1)),
                m.group(3) == null ? 0 : segment(m.group(3).substring(1)), group(m, 5), group(m, 8), v, true);
        if (!sv.pre.isEmpty()) {
            validatePrerelease(sv.pre);
        }
        if (!sv.metadata.isEmpty() && !allowed(sv.metadata)) {
            throw new FunctionError("Invalid Metadata string");
        }
        return sv;
    }

    private static String group(Matcher m, int i) {
        return m.group(i) == null ? "" : m.group(i);
    }

    private static long segment(String digits) {
        Long v = parseUint(digits);
        if (v == null) {
            throw new FunctionError("Error parsing version segment: strconv.ParseUint: parsing " + GoFmt.quote(digits) + ": value out of range");
        }
        return v;
    }

    /** strconv.ParseUint(s, 10, 64): null where it fails. */
    private static Long parseUint(String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        java.math.BigInteger v = new java.math.BigInteger(s);
        return v.bitLength() > 64 ? null : v.longValue();
    }

    private static void validatePrerelease(String p) {
        for (String part : p.split("\\.", -1)) {
            if (part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                if (part.length() > 1 && part.charAt(0) == '0') {
                    throw new FunctionError("Version segment starts with 0");
                }
            } else if (!allowed(part)) {
                throw new FunctionError("Invalid Prerelease string");
            }
        }
    }

    private static boolean allowed(String s) {
        return s.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.');
    }

    // ---- what reflect, fmt and json see ----

    @Override
    public String typeName() {
        return pointer ? "*semver.Version" : "semver.Version";
    }

    @Override
    public String string() {
        return Long.toUnsignedString(major) + "." + Long.toUnsignedString(minor) + "." + Long.toUnsignedString(patch) + (pre.isEmpty() ? "" : "-" + pre)
                + (metadata.isEmpty() ? "" : "+" + metadata);
    }

    @Override
    public String goString() {
        return null;
    }

    @Override
    public Object fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("major", GoNumber.integer("uint64", major));
        f.put("minor", GoNumber.integer("uint64", minor));
        f.put("patch", GoNumber.integer("uint64", patch));
        f.put("pre", pre);
        f.put("metadata", metadata);
        f.put("original", original);
        GoStruct s = new GoStruct("semver.Version", f);
        return pointer ? new GoPointer("semver.Version", s) : s;
    }

    @Override
    public String json() {
        return GoJson.marshal(string(), true, null);
    }

    /** The methods of Version, and for a pointer those of *Version too (a Version value a template holds is not addressable). */
    @Override
    public Function method(String name) {
        Function m = switch (name) {
            case "Major" -> getter(() -> GoNumber.integer("uint64", major));
            case "Minor" -> getter(() -> GoNumber.integer("uint64", minor));
            case "Patch" -> getter(() -> GoNumber.integer("uint64", patch));
            case "Prerelease" -> getter(() -> pre);
            case "Metadata" -> getter(() -> metadata);
            case "String" -> getter(this::string);
            case "IncPatch" -> getter(() -> pre.isEmpty() ? next(major, minor, patch + 1, "", "") : next(major, minor, patch, "", ""));
            case "IncMinor" -> getter(() -> next(major, minor + 1, 0, "", ""));
            case "IncMajor" -> getter(() -> next(major + 1, 0, 0, "", ""));
            case "SetPrerelease" -> new Fn(List.of("string"), false, a -> {
                String p = (String) a.get(0);
                if (!p.isEmpty()) {
                    validatePrerelease(p);
                }
                return next(major, minor, patch, p, metadata);
            });
            case "SetMetadata" -> new Fn(List.of("string"), false, a -> {
                String md = (String) a.get(0);
                if (!md.isEmpty() && !allowed(md)) {
                    throw new FunctionError("Invalid Metadata string");
                }
                return next(major, minor, patch, pre, md);
            });
            default -> null;
        };
        if (m != null || !pointer) {
            return m;
        }
        return switch (name) {
            case "Original" -> getter(() -> original);
            case "Compare" -> new Fn(List.of("*semver.Version"), false, a -> (long) compare((Semver) a.get(0)));
            case "LessThan" -> new Fn(List.of("*semver.Version"), false, a -> compare((Semver) a.get(0)) < 0);
            case "GreaterThan" -> new Fn(List.of("*semver.Version"), false, a -> compare((Semver) a.get(0)) > 0);
            case "Equal" -> new Fn(List.of("*semver.Version"), false, a -> compare((Semver) a.get(0)) == 0);
            default -> null;
        };
    }

    /** copystructure copies no unexported field: a zero Version. */
    @Override
    public Object deepCopy() {
        return new Semver(0, 0, 0, "", "", "", pointer);
    }

    private static Fn getter(java.util.function.Supplier<Object> body) {
        return new Fn(List.of(), false, a -> body.get());
    }

    /** A changed copy as the Inc and Set methods make it: a Version value, its original text rebuilt with this one's v prefix. */
    private Semver next(long major, long minor, long patch, String pre, String metadata) {
        Semver v = new Semver(major, minor, patch, pre, metadata, "", false);
        v.original = (original.startsWith("v") ? "v" : "") + v.string();
        return v;
    }

    /** mergo's Set of one Version over another, through a pointer. */
    void assign(Semver o) {
        major = o.major;
        minor = o.minor;
        patch = o.patch;
        pre = o.pre;
        metadata = o.metadata;
        original = o.original;
    }

    /** Go's ==: the same pointer, or for values the same fields. */
    @Override
    public boolean equals(Object o) {
        if (pointer || !(o instanceof Semver v) || v.pointer) {
            return this == o;
        }
        return major == v.major && minor == v.minor && patch == v.patch && pre.equals(v.pre) && metadata.equals(v.metadata)
                && original.equals(v.original);
    }

    @Override
    public int hashCode() {
        return pointer ? System.identityHashCode(this) : string().hashCode();
    }

    @Override
    public String toString() {
        return string();
    }

    // ---- comparison ----

    int compare(Semver o) {
        int d = Long.compareUnsigned(major, o.major);
        if (d == 0) {
            d = Long.compareUnsigned(minor, o.minor);
        }
        if (d == 0) {
            d = Long.compareUnsigned(patch, o.patch);
        }
        if (d != 0) {
            return Integer.signum(d);
        }
        if (pre.isEmpty() && o.pre.isEmpty()) {
            return 0;
        }
        if (pre.isEmpty()) {
            return 1;
        }
        if (o.pre.isEmpty()) {
            return -1;
        }
        return comparePrerelease(pre, o.pre);
    }

    private static int comparePrerelease(String v, String o) {
        String[] sparts = v.split("\\.", -1);
        String[] oparts = o.split("\\.", -1);
        for (int i = 0; i < Math.max(sparts.length, oparts.length); i++) {
            int d = comparePrePart(i < sparts.length ? sparts[i] : "", i < oparts.length ? oparts[i] : "");
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }

    private static int comparePrePart(String s, String o) {
        if (s.equals(o)) {
            return 0;
        }
        if (s.isEmpty()) {
            return -1;
        }
        if (o.isEmpty()) {
            return 1;
        }
        Long oi = parseUint(o);
        Long si = parseUint(s);
        if (oi == null && si == null) {
            return s.compareTo(o) > 0 ? 1 : -1;
        }
        if (oi == null) {
            return -1;
        }
        if (si == null) {
            return 1;
        }
        return Long.compareUnsigned(si, oi) > 0 ? 1 : -1;
    }

    // ---- constraints ----

    /** One constraint: its operator and version, and which parts were wildcards (or left out). */
    private record Constraint(String op, Semver con, boolean dirty, boolean minorDirty, boolean patchDirty) {
    }

    /** semverCompare: NewConstraint(constraint).Check(NewVersion(version)). */
    static boolean satisfies(String constraint, String version) {
        List<List<Constraint>> ors = parseConstraints(constraint);
        Semver v = parse(version);
        for (List<Constraint> and : ors) {
            if (and.stream().allMatch(c -> check(v, c))) {
                return true;
            }
        }
        return false;
    }

    private static List<List<Constraint>> parseConstraints(String c) {
        c = rewriteRange(c);
        List<List<Constraint>> ors = new ArrayList<>();
        for (String or : c.split("\\|\\|", -1)) {
            if (!VALID.matcher(or).find()) {
                throw new FunctionError("improper constraint: " + or);
            }
            List<String> cs = new ArrayList<>();
            Matcher m = FIND.matcher(or);
            while (m.find()) {
                cs.add(m.group());
            }
            if (cs.isEmpty()) {
                cs.add(or);
            }
            List<Constraint> and = new ArrayList<>();
            for (String s : cs) {
                and.add(parseConstraint(s));
            }
            ors.add(and);
        }
        return ors;
    }

    /** "1.2 - 1.4.5" into ">= 1.2, <= 1.4.5", each match's text replaced where it first occurs. */
    private static String rewriteRange(String i) {
        Matcher m = RANGE.matcher(i);
        String o = i;
        while (m.find()) {
            int at = o.indexOf(m.group());
            if (at < 0) {
                continue;
            }
            o = o.substring(0, at) + ">= " + m.group(1) + ", <= " + m.group(11) + o.substring(at + m.group().length());
        }
        return o;
    }

    private static Constraint parseConstraint(String c) {
        if (c.isEmpty()) {
            // an empty constraint is >= 0.0.0
            return new Constraint("", new Semver(0, 0, 0, "", "", "0.0.0", true), true, false, false);
        }
        Matcher m = CONSTRAINT.matcher(c);
        if (!m.find()) {
            throw new FunctionError("improper constraint: " + c);
        }
        String ver = m.group(2);
        boolean minorDirty = false;
        boolean patchDirty = false;
        boolean dirty = false;
        String pre = group(m, 6);
        if (isX(group(m, 3)) || group(m, 3).isEmpty()) {
            ver = "0.0.0" + pre;
            dirty = true;
        } else if (isX(trimDot(group(m, 4))) || group(m, 4).isEmpty()) {
            minorDirty = true;
            dirty = true;
            ver = group(m, 3) + ".0.0" + pre;
        } else if (isX(trimDot(group(m, 5))) || group(m, 5).isEmpty()) {
            dirty = true;
            patchDirty = true;
            ver = group(m, 3) + group(m, 4) + ".0" + pre;
        }
        Semver con;
        try {
            con = parse(ver);
        } catch (FunctionError e) {
            throw new FunctionError("constraint Parser Error");
        }
        return new Constraint(m.group(1), con, dirty, minorDirty, patchDirty);
    }

    private static String trimDot(String s) {
        return s.startsWith(".") ? s.substring(1) : s;
    }

    private static boolean isX(String x) {
        return x.equals("x") || x.equals("*") || x.equals("X");
    }

    private static boolean check(Semver v, Constraint c) {
        Semver con = c.con();
        // a prerelease satisfies only constraints that have one (a plain != does not ask)
        if (!v.pre.isEmpty() && con.pre.isEmpty() && (c.dirty() || !c.op().equals("!="))) {
            return false;
        }
        return switch (c.op()) {
            case "", "=" -> c.dirty() ? tilde(v, c) : v.compare(con) == 0;
            case "!=" -> notEqual(v, c);
            case ">" -> greaterThan(v, c);
            case "<" -> v.compare(con) < 0;
            case ">=", "=>" -> v.compare(con) >= 0;
            case "<=", "=<" -> lessThanEqual(v, c);
            case "~", "~>" -> tilde(v, c);
            default -> caret(v, c);
        };
    }

    /** constraintNotEqual, past the prerelease check. */
    private static boolean notEqual(Semver v, Constraint c) {
        Semver con = c.con();
        if (c.dirty()) {
            if (con.major != v.major) {
                return true;
            }
            if (con.minor != v.minor && !c.minorDirty()) {
                return true;
            } else if (c.minorDirty()) {
                return false;
            } else if (con.patch != v.patch && !c.patchDirty()) {
                return true;
            } else if (c.patchDirty()) {
                if (!v.pre.isEmpty() || !con.pre.isEmpty()) {
                    return comparePrerelease(v.pre, con.pre) != 0;
                }
                return false;
            }
        }
        return v.compare(con) != 0;
    }

    private static boolean greaterThan(Semver v, Constraint c) {
        Semver con = c.con();
        if (!c.dirty()) {
            return v.compare(con) == 1;
        }
        int d = Long.compareUnsigned(v.major, con.major);
        if (d != 0) {
            return d > 0;
        }
        if (c.minorDirty()) {
            return false;
        }
        if (c.patchDirty()) {
            return Long.compareUnsigned(v.minor, con.minor) > 0;
        }
        return v.compare(con) == 1;
    }

    private static boolean lessThanEqual(Semver v, Constraint c) {
        Semver con = c.con();
        if (!c.dirty()) {
            return v.compare(con) <= 0;
        }
        if (Long.compareUnsigned(v.major, con.major) > 0) {
            return false;
        }
        return !(v.major == con.major && Long.compareUnsigned(v.minor, con.minor) > 0 && !c.minorDirty());
    }

    private static boolean tilde(Semver v, Constraint c) {
        Semver con = c.con();
        if (v.compare(con) < 0) {
            return false;
        }
        // ~0.0.0 is >= 0.0.0
        if (con.major == 0 && con.minor == 0 && con.patch == 0 && !c.minorDirty() && !c.patchDirty()) {
            return true;
        }
        if (v.major != con.major) {
            return false;
        }
        return v.minor == con.minor || c.minorDirty();
    }

    private static boolean caret(Semver v, Constraint c) {
        Semver con = c.con();
        if (v.compare(con) < 0) {
            return false;
        }
        if (con.major != 0 || c.minorDirty()) {
            return v.major == con.major;
        }
        if (v.major != 0) {
            return false;
        }
        if (con.minor != 0 || c.patchDirty()) {
            return v.minor == con.minor;
        }
        if (v.minor != 0) {
            return false;
        }
        return con.patch == v.patch;
    }
}
