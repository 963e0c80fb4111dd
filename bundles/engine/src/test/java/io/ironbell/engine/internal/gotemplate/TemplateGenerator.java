package io.ironbell.engine.internal.gotemplate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random templates and data for the differential test: every construct of text/template
 * combined at random (actions with and without trim markers, pipelines, parentheses, variables
 * declared and assigned, if/else if/else, range with index and value, else, break and continue,
 * with, define/template/block, comments, every builtin, printf with Go's verbs and flags), on
 * random maps, lists, strings, ints, floats, bools and nils. Roughly a third of them are wrong
 * somewhere on purpose, so that refusals are compared too.
 */
final class TemplateGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] KEYS = {"a", "b", "name", "list", "map", "n", "f", "s", "flag", "empty", "nested"};
    private static final String[] STRINGS = {"", "x", "hello world", "é ü ß", "<b>&'\"", "tab\there", "line\nbreak", "0644", "10.0.0.1",
        "/dev/sda", "UPPER lower", "a,b,c", " spaced "};
    private static final String[] FORMATS = {"%v", "%+v", "%d", "%5d", "%-5d|", "%05d", "%x", "%X", "%o", "%b", "%c", "%q", "%U", "%#U",
        "%e", "%.3e", "%E", "%f", "%.2f", "%8.3f", "%-8.1f|", "%g", "%.3g", "%G", "%s", "%10s", "%-10s|", "%.2s", "%t", "%T", "%%", "%#x",
        "%+d", "% d", "%#o", "%x %X", "%[2]v %[1]v", "%*d", "%.*f", "%!", "%z", "%v %v", "%6.2v", "%#v", "%08.3f", "%+.2e", "%q %q"};
    private static final String[] BUILTINS = {"len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "print",
        "printf", "println", "html", "js", "urlquery"};

    /**
     * Sprig's functions with the shapes of their arguments: S a string, I an int, A anything, L a
     * list, M a dict, N any number of anything; the generator mostly gives what they take.
     */
    private static final String[][] SPRIG = {
        {"trim", "S"}, {"upper", "S"}, {"lower", "S"}, {"title", "S"}, {"untitle", "S"}, {"substr", "I", "I", "S"}, {"repeat", "I", "S"},
        {"trimAll", "S", "S"}, {"trimSuffix", "S", "S"}, {"trimPrefix", "S", "S"}, {"nospace", "S"}, {"trunc", "I", "S"},
        {"contains", "S", "S"}, {"hasPrefix", "S", "S"}, {"hasSuffix", "S", "S"}, {"quote", "N"}, {"squote", "N"}, {"cat", "N"},
        {"indent", "I", "S"}, {"nindent", "I", "S"}, {"replace", "S", "S", "S"}, {"plural", "S", "S", "I"}, {"toString", "A"},
        {"b64enc", "S"}, {"b64dec", "E"}, {"sha1sum", "S"}, {"sha256sum", "S"}, {"adler32sum", "S"}, {"atoi", "S"}, {"int", "A"},
        {"int64", "A"}, {"float64", "A"}, {"add1", "A"}, {"add", "N"}, {"sub", "A", "A"}, {"div", "A", "A"}, {"mod", "A", "A"},
        {"mul", "A", "N"}, {"max", "A", "N"}, {"min", "A", "N"}, {"maxf", "A", "N"}, {"minf", "A", "N"}, {"floor", "A"}, {"ceil", "A"},
        {"until", "I"}, {"untilStep", "I", "I", "I"}, {"list", "N"}, {"first", "L"}, {"last", "L"}, {"rest", "L"}, {"initial", "L"},
        {"append", "L", "A"}, {"prepend", "L", "A"}, {"reverse", "L"}, {"compact", "L"}, {"uniq", "L"}, {"without", "L", "N"},
        {"has", "A", "L"}, {"concat", "L", "L"}, {"slice", "L", "N"}, {"join", "S", "L"}, {"sortAlpha", "L"}, {"splitList", "S", "S"},
        {"split", "S", "S"}, {"splitn", "S", "I", "S"}, {"toStrings", "L"}, {"dict", "N"}, {"get", "M", "S"}, {"set", "M", "S", "V"},
        {"unset", "M", "S"}, {"hasKey", "M", "S"}, {"pluck", "S", "M"}, {"pick", "M", "S"}, {"omit", "M", "S"}, {"dig", "S", "A", "M"},
        {"default", "A", "A"}, {"empty", "A"}, {"coalesce", "N"}, {"all", "N"}, {"any", "N"}, {"ternary", "A", "A", "B"},
        {"toJson", "A"}, {"toRawJson", "A"}, {"toPrettyJson", "A"}, {"fromJson", "S"}, {"typeOf", "A"}, {"kindOf", "A"},
        {"kindIs", "S", "A"}, {"typeIs", "S", "A"}, {"deepEqual", "A", "A"}, {"base", "S"}, {"dir", "S"}, {"clean", "S"}, {"ext", "S"},
        {"isAbs", "S"}, {"fail", "S"}, {"formatPartition", "D", "I"}, {"netmaskToPrefixLength", "K"},
        {"abbrev", "I", "S"}, {"abbrevboth", "I", "I", "S"}, {"initials", "S"}, {"swapcase", "S"}, {"wrap", "I", "S"},
        {"wrapWith", "I", "S", "S"}, {"b32enc", "S"}, {"b32dec", "Z"}, {"regexMatch", "R", "S"}, {"mustRegexMatch", "R", "S"}, {"regexFind", "R", "S"},
        {"regexFindAll", "R", "S", "I"}, {"regexReplaceAll", "R", "S", "S"}, {"regexReplaceAllLiteral", "R", "S", "S"},
        {"regexSplit", "R", "S", "I"}, {"regexQuoteMeta", "S"}, {"mustFirst", "L"}, {"mustLast", "L"}, {"mustAppend", "L", "A"},
        {"mustToJson", "A"}, {"chunk", "I", "L"}, {"seq", "N"}, {"toDecimal", "A"}, {"round", "A", "I"}, {"add1f", "A"}, {"addf", "N"},
        {"subf", "A", "N"}, {"mulf", "A", "N"}, {"divf", "A", "N"}, {"typeIsLike", "S", "A"}, {"deepCopy", "A"}, {"sortAlpha", "Q"}, {"camelcase", "C"}, {"duration", "T"}, {"durationRound", "T"}, {"osBase", "S"}, {"osDir", "S"},
        {"mustFromJson", "S"},
        {"snakecase", "C"}, {"kebabcase", "C"},
        {"toYaml", "A"}, {"toYaml", "M"}, {"toYaml", "L"}, {"fromYaml", "Y"}, {"toYaml", "W"},
        // a time.Time or a *semver.Version only as an argument of what prints it whole: inside a list, Go prints a pointer's address for some verbs
        {"merge", "M", "MS"}, {"merge", "M", "MS", "MS"}, {"mergeOverwrite", "M", "MS"}, {"mustMerge", "M", "MS"}, {"mustMergeOverwrite", "M", "MS"},
        {"urlParse", "Url"}, {"urlParse", "Url"}, {"urlJoin", "UrlD"}, {"urlJoin", "UrlD"},
        {"semverCompare", "Con", "Ver"}, {"semverCompare", "Con", "Ver"}, {"semverCompare", "Con", "Ver"}, {"toString", "Sem"}, {"toJson", "Sem"},
        {"typeOf", "Sem"}, {"toString", "SemM"}, {"printf", "Fmt", "Sem"}, {"printf", "Fmt", "SemM"},
        {"toString", "Time"}, {"toString", "Time"}, {"toJson", "Time"}, {"mustToJson", "Time"}, {"unixEpoch", "Time"}, {"kindOf", "Time"},
        {"toString", "TimeM"}, {"printf", "Fmt", "Time"}, {"decryptAES", "Pw", "Enc"}, {"derivePassword", "Ctr", "PwT", "Pw", "Pw", "S"},
        // the random and clock-based functions only where what is printed does not depend on chance or the clock
        {"len", "Shuffled"}, {"kindOf", "RandInt"}, {"len", "Encrypted"}, {"toString", "AesTrip"}, {"toString", "AgoFar"}, {"toString", "NoKey"},
    };
    /** Versions, constraints and URLs: those Go takes, then (a fifth of the picks) those it refuses. */
    private static final String[][] VERSIONS = {{"1.2.3", "v1.2.3", "1.2", "1", "1.2.3-beta.1", "1.2.3-alpha+build.5", "1.2.3+meta", "01.2.3",
        "2.0.0-rc.1", "0.0.1", "0.2.3", "0.2.9", "1.10.0", "v0.9.9-x.y.z", "4.2.3"}, {"1.2.3-01", "a.b.c", "", "1.2.3.4", "99999999999999999999.0.0"}};
    private static final String[][] CONSTRAINTS = {{">=1.2.3", "^1.2", "~1.2.3", "1.x", "*", "!=1.2.3", "> 1.0 < 2.0", ">=1.0, <2.0",
        "1.2 - 1.4.5", "1.2 - 1.4.5 || 2.x", "^0.2.3", "^0.0.3", "~0", "=1.2.3-beta.1", ">1.2.3-alpha", "<=1.2.x", ">1", "!=1.x", "~>1.2",
        "=>1.0 =<2.0", "^1.x", "<1.10", ">=v1.2.3", "^0", "~0.2.x", ">=1.2.3-0 <1.2.4"}, {"bad", ">= 1.2 ||", "1.2|3", ""}};
    private static final String[][] URLS = {{"https://user:p%40ss@example.com:8080/a/b%2Fc?x=1&y=2#frag%20x", "tftp://10.0.0.1:69/ipxe.efi",
        "http://[fe80::1%25en0]:80/x", "mailto:joe@example.com?subject=hi", "/relative/path?q", "", "*", "file:///etc/hosts", "//host/p",
        "http://é.com/ü?ä#ö", "HTTP://X/Y", "http://x/?", "a:b/c:d"}, {"http://host:port/", ":foo", "1ab:c/d", "http://a b.com/", "http://x/%zz",
        "http://x/y#%zz", "http://%41@x/", "http://[::1"}};
    /** Layouts with values that fit them; the generator crosses them too. */
    private static final String[][] DATES = {{"2006-01-02", "2024-03-01"}, {"2006-01-02", "2024-02-30"}, {"2006-01-02T15:04:05Z07:00",
        "2024-03-01T10:20:30+02:00"}, {"2006-01-02T15:04:05Z07:00", "2024-03-01T10:20:30Z"}, {"2006-01-02 15:04:05 MST", "2024-03-01 10:20:30 CEST"},
        {"2006-01-02 15:04:05 MST", "2024-03-01 10:20:30 GMT+3"}, {"Jan _2 2006 3:04PM", "Mar  1 2024 3:04PM"}, {"January 2, 2006", "march 9, 1999"},
        {"2006 002", "2024 060"}, {"15:04:05.000", "10:20:30.123"}, {"15:04:05", "10:20:30.123456"}, {"02/01/06", "31/12/99"},
        {"2006-01-02 15:04", "2024-03-01 13:45"}, {"", ""}, {"2006", "0000"}, {"Mon Jan 2 06", "Fri Mar 1 24"}, {"2006-01-02 -0700", "2024-03-01 -0330"},
        {"3:04pm", "12:00am"}, {"2006-01-02", "x"}};

    private final Random random;
    private final boolean sprig;
    private List<String> vars;
    private int rangeDepth;
    private int defines;

    TemplateGenerator(long seed) {
        this(seed, false);
    }

    /** With {@code sprig}, calls to Sprig's functions join the builtins. */
    TemplateGenerator(long seed, boolean sprig) {
        this.random = new Random(seed);
        this.sprig = sprig;
    }

    private String sprigCall(int depth) {
        String[] f = SPRIG[random.nextInt(SPRIG.length)];
        StringBuilder b = new StringBuilder(f[0]);
        for (int i = 1; i < f.length; i++) {
            b.append(' ').append(argOf(f[i], depth));
        }
        return b.toString();
    }

    private String argOf(String shape, int depth) {
        if (chance(8) && !shape.equals("V") && !shape.equals("E") && !shape.equals("MS")) {
            return operand(depth + 1);
        }
        return switch (shape) {
            case "S" -> chance(60) ? "\"" + pick(new String[] {"", "a", "x,y", "Hello World", " pad ", "/usr/lib/x.tar.gz", "a/b/../c", "0x1F",
                "$1-${1}-$first-$$", "the quick brown fox jumps over the lazy dog", "ab\\nb",
                "42", "3.50", "aGVsbG8=", "{\\\"k\\\":[1,2.5,\\\"x\\\"]}", "line\\nbreak", "é", "_"}) + "\"" : chance(50) ? ".s" : field();
            case "I" -> Integer.toString(random.nextInt(12) - 3);
            case "Z" -> "\"" + pick(new String[] {"NBSWY3DP", "MFRGG===", "ME======", "MFRA====", "", "NBSWY3D", "MF==", "A=======", "MFRGGZA=",
                "nbswy3dp", "NBSW\\nY3DP", "M=A=====", "MFRGGZDF", "74======"}) + "\"";
            case "T" -> pick(new String[] {"\"90\"", "(int64 3661)", "(int64 -59)", "\"1h30m\"", "\"2.5s\"", "\"-1.5h\"", "\"100ms\"", "\"1e3\"", "\"\"",
                "(int64 86400000000000)", "(int64 40000000000000000)", "3", "\"96h\"", "\"1y\"", "(int64 9223372036)", "(int64 1500)"});
            case "C" -> "\"" + pick(new String[] {"HTTPStatus", "helloWorld", "hello_world", "Hello-World  x", "__a__b", "Bld4Floor", "HTTP2xx",
                "a1b2", "ÉtéÜber", "x", "-", "", "snake_case_words", "ID", "userID42Name", "a--b", " lead", "trail_", "some.dotted.name",
                "漢字Word"}) + "\"";
            case "R" -> "\"" + pick(new String[] {"a", "[a-z]+", "^x", "b$", "(a)(b)?", "\\\\d+", "a*", "x|y", "(?P<first>[a-z])", "[[:alpha:]]+",
                "(", "a(?=b)", "\\\\s", "[^,]+", ".", "", "(?i)hello", "o\\\\b"}) + "\"";
            // keys of a map, sorted: Go's own order is random
            case "Q" -> chance(50) ? "(keys " + argOf("M", depth + 1) + ")" : argOf("L", depth + 1);
            // base64 of text, of bytes that are not UTF-8 (0x1F: D3 1D 45), or not base64
            case "E" -> "\"" + pick(new String[] {"aGVsbG8=", "", "YQ==", "YWI=", "w6k=", "not base64!", "aGVsbG8", "=abc", "YQ==\\nYQ==", "0x1F",
                "/w==", "gA=="}) + "\"";
            case "D" -> "\"" + pick(new String[] {"/dev/sda", "/dev/nvme0n1", "/dev/mmcblk0", "/dev/disk/by-id/wwn-0x5000", "", "/dev/vda"}) + "\"";
            case "K" -> "\"" + pick(new String[] {"255.255.255.0", "255.255.0.0", "255.255.255.255", "0.0.0.0", "255.0.255.0", "255.255.255.128",
                "010.0.0.0", "::ffff:255.255.240.0", "ffff::", "nonsense", "255.255.255", "255.255.255.0.1"}) + "\"";
            case "B" -> random.nextBoolean() ? "true" : "false";
            // YAML as yaml.v2 reads it: YAML 1.1 scalars, merges, anchors, tags, keys of other types, and what it refuses
            case "Y" -> "\"" + pick(new String[] {"a: 1", "", " ", "- x\\n- 0777\\n- 08\\n- on", "a: {b: [1, 2.5, yes]}", "x: &a {k: v}\\ny:\\n  <<: *a\\n  k: w",
                "1: a\\ntrue: b\\n1.5: c", "~: x", "a: !!str 12\\nb: !!float 3", "a: !!int x", "[1, 2", "x: 1\\n---\\ny: 2", "a: *nope", ".nan",
                "2024-01-02", "0x_1F", "'quoted'", "k: |\\n  text\\n  more", "a: 1\\na: 2", "- !!binary aGVsbG8=", "{a: [b, {c: d}]}",
                "12345678901234567890", "18446744073709551616", "-0b101", "+.inf: x", "? [a]\\n: b", "a:\\tb"}) + "\"";
            // text whose YAML needs quotes, blocks or folding
            case "W" -> "\"" + pick(new String[] {"yes", "10", "a: b", " lead", "multi\\nline\\n", "\\nx", "tab\\tx", "'q'", "2024-01-02", "1:20",
                "x \\ny", "#c", "- d", "long words that go on and on past the eightieth column of the line for sure yes indeed", "null", "~"}) + "\"";
            // a value that cannot be the map itself: a map put into itself makes Go's fmt recurse until the stack overflows
            case "V" -> literal();
            // a dict of literals to merge: merging a map that holds the dst would put the dst into itself
            case "MS" -> "(dict \"" + pick(KEYS) + "\" " + (chance(30) ? argOf("MS", depth + 1) : literal()) + " \"" + pick(KEYS) + "\" "
                    + (chance(30) ? "(list " + literal() + ")" : literal()) + ")";
            case "Ver" -> "\"" + pick(VERSIONS[chance(20) ? 1 : 0]) + "\"";
            case "Con" -> "\"" + pick(CONSTRAINTS[chance(20) ? 1 : 0]) + "\"";
            case "Sem" -> "(semver " + argOf("Ver", depth) + ")";
            case "SemM" -> "(semver " + argOf("Ver", depth) + ")." + pick(new String[] {"Major", "Minor", "Patch", "Prerelease", "Metadata", "Original",
                "IncMajor", "IncPatch", "String"});
            case "Url" -> "\"" + pick(URLS[chance(20) ? 1 : 0]) + "\"";
            case "UrlD" -> chance(50) ? "(urlParse " + argOf("Url", depth) + ")" : "(dict \"" + pick(new String[] {"scheme", "host", "path", "userinfo"})
                    + "\" " + pick(new String[] {"\"https\"", "\"h:8080\"", "\"/a b/c?d\"", "\"me:p@ss\"", "\"a:b/c\"", "\"ü.com\"", "5", "nil"})
                    + " \"" + pick(new String[] {"query", "fragment", "opaque", "scheme"}) + "\" " + pick(new String[] {"\"x=1\"", "\"f g#h\"",
                        "\"x/y\"", "\"mailto\"", "\"\""}) + ")";
            case "Time" -> switch (random.nextInt(depth > 2 ? 2 : 4)) {
                case 0, 1 -> "(" + pick(new String[] {"toDate", "toDate", "mustToDate"}) + " " + date();
                default -> "(" + pick(new String[] {"mustDateModify", "must_date_modify"}) + " \"" + pick(new String[] {"1h", "-30m", "1.5h", "90s",
                    "1x", "", "100ns", "-1.5us", "2h45m", "0", "+5m", ".5s"}) + "\" " + argOf("Time", depth + 1) + ")";
            };
            case "TimeM" -> chance(70) ? argOf("Time", depth) + "." + pick(new String[] {"Year", "YearDay", "Day", "Hour", "Minute", "Second",
                "Nanosecond", "Unix", "UnixNano", "UnixMilli", "IsZero", "UTC", "String"}) : "(" + argOf("Time", depth) + ".Format \""
                    + pick(new String[] {"2006-01-02", "Mon Jan _2 15:04:05 MST 2006", "3:04PM", "15:04:05.000", "2006-01-02T15:04:05Z07:00",
                        "Monday, 02-Jan-06", "002 __2 .999 pm -07 Z07:00:00", "x"}) + "\")";
            // the verbs that print a time.Time or *semver.Version as it prints itself, not its fields
            case "Fmt" -> "\"" + pick(new String[] {"%v", "%s", "%q", "%x", "%X", "%20s", "%-30v|", "%.4s", "%#v", "%T", "%+v"}) + "\"";
            case "Pw" -> "\"" + pick(new String[] {"pw", "", "wrong", "a-very-long-password-longer-than-32-bytes!!"}) + "\"";
            // encryptAES's output for those passwords (its IV is random, so it is not generated), and what is not
            case "Enc" -> "\"" + pick(new String[] {"yGwUdFFnY3Gh0CGapdpLvEImvHC2GcaQH+80MXTZl7w=", "Ae537flhj33BG9ENi7xLdPavUxhUwjzpcHVor9aMyto=",
                "7ShtVkAmd1200t3txcaAbBE7CTX9qku4VFFc5rLgQrnQb+WDpvGXkMtYJa+i6/ln", "8TYVwKgoAf9ArAGKHxzbzWCJe8rcDnz8DR86+zr9fvo=", "", "not base64!",
                "YQ==", "YWFhYWFhYWFhYWFhYWFhYWFh", "YWFhYWFhYWFhYWFhYWFhYQ=="}) + "\"";
            case "Shuffled" -> "(shuffle " + argOf("S", depth) + ")";
            case "RandInt" -> "(randInt " + argOf("I", depth) + " " + argOf("I", depth) + ")";
            case "Encrypted" -> "(encryptAES " + argOf("Pw", depth) + " " + argOf("S", depth) + ")";
            case "AesTrip" -> "(decryptAES \"k\" (encryptAES \"k\" " + argOf("S", depth) + "))";
            // times so far away that the elapsed time saturates, and what ago takes for now
            case "AgoFar" -> "(ago " + pick(new String[] {"(toDate \"2006\" \"0001\")", "(toDate \"2006-01-02\" \"9999-12-31\")",
                "(int64 -9223372036854775808)", "(int64 9223372036854775807)", "\"x\"", "nil", "2.5", "(list 1)", ".map"}) + ")";
            // the key and certificate functions where they refuse their arguments or name an unknown type
            case "NoKey" -> "(" + pick(new String[] {"genPrivateKey \"RSA\"", "genPrivateKey \"x\"", "genCAWithKey \"x\" 1 \"k\"",
                "buildCustomCert \"YQ==\" \"YQ==\"", "genSelfSignedCertWithKey \"x\" (list 1) nil 1 \"k\"", "genSignedCert \"x\" nil nil 1 (dict)",
                "genSelfSignedCert \"x\" (list \"1.2.3\") nil 1", "htpasswd \"a:b\" \"c\""}) + ")";
            case "Ctr" -> pick(new String[] {"1", "0", "4294967297", "7", "1", "-1"});
            case "PwT" -> "\"" + pick(new String[] {"long", "maximum", "medium", "short", "basic", "pin", "nope"}) + "\"";
            case "L" -> chance(50) ? "(list " + argOf("A", depth + 1) + " " + argOf("A", depth + 1) + (chance(50) ? " " + argOf("A", depth + 1) : "")
                    + ")" : chance(50) ? ".list" : "(until " + random.nextInt(5) + ")";
            case "M" -> chance(60) ? "(dict \"a\" " + argOf("A", depth + 1) + " \"b\" " + argOf("A", depth + 1) + ")" : chance(50) ? ".map" : ".nested";
            case "N" -> {
                StringBuilder n = new StringBuilder();
                int k = random.nextInt(4);
                for (int i = 0; i < k; i++) {
                    n.append(i > 0 ? " " : "").append(argOf("A", depth + 1));
                }
                yield n.length() == 0 ? "1" : n.toString();
            }
            default -> depth > 2 ? literal() : operand(depth + 1);
        };
    }

    /** A layout and a value for toDate: mostly ones that fit each other. */
    private String date() {
        String[] d = pick(DATES);
        return "\"" + d[0] + "\" \"" + (chance(25) ? pick(DATES)[1] : d[1]) + "\")";
    }

    private boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    private <T> T pick(T[] options) {
        return options[random.nextInt(options.length)];
    }

    /** Random data: a map of some of {@link #KEYS}. */
    JsonNode data() {
        ObjectNode root = JSON.createObjectNode();
        for (String k : KEYS) {
            if (chance(90)) {
                root.set(k, value(0));
            }
        }
        if (chance(70)) {
            // a map that has the keys, so that .nested.a and friends resolve
            ObjectNode nested = JSON.createObjectNode();
            for (String k : KEYS) {
                if (chance(70)) {
                    nested.set(k, value(2));
                }
            }
            root.set("nested", nested);
        }
        return root;
    }

    private JsonNode value(int depth) {
        int kind = random.nextInt(depth > 2 ? 6 : 9);
        return switch (kind) {
            case 0 -> JSON.getNodeFactory().textNode(pick(STRINGS));
            case 1 -> JSON.getNodeFactory().numberNode(pick(new long[] {0, 1, -1, 2, 3, 7, 42, 255, 1000000, -17, 65}));
            case 2 -> JSON.getNodeFactory().numberNode(pick(new double[] {0.5, 1.0, 2.5, 1e6, 1e21, 1.5e-5, -3.25, 100.0, 123456.789, 0.1}));
            case 3 -> JSON.getNodeFactory().booleanNode(random.nextBoolean());
            case 4 -> JSON.getNodeFactory().nullNode();
            case 5 -> JSON.getNodeFactory().textNode(pick(STRINGS));
            case 6, 7 -> {
                ArrayNode a = JSON.createArrayNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.add(value(depth + 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = JSON.createObjectNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    o.set(pick(KEYS), value(depth + 1));
                }
                yield o;
            }
        };
    }

    private long pick(long[] options) {
        return options[random.nextInt(options.length)];
    }

    private double pick(double[] options) {
        return options[random.nextInt(options.length)];
    }

    /** A random template. */
    String template() {
        vars = new ArrayList<>(List.of("$"));
        rangeDepth = 0;
        defines = 0;
        StringBuilder out = new StringBuilder();
        int parts = 1 + random.nextInt(6);
        for (int i = 0; i < parts; i++) {
            out.append(part(0));
        }
        return out.toString();
    }

    private String text() {
        return pick(new String[] {"", " ", "x", "\n", "  \n  ", "a-b ", "}", "line\n", "\t", "{ x }"});
    }

    private String open() {
        return chance(25) ? "{{- " : chance(10) ? "{{" : "{{ ";
    }

    private String close() {
        return chance(25) ? " -}}" : chance(10) ? "}}" : " }}";
    }

    private String part(int depth) {
        int kind = random.nextInt(depth > 2 ? 3 : 12);
        return switch (kind) {
            case 0 -> text();
            case 1, 2 -> open() + pipeline(0) + close();
            case 3 -> ifBlock(depth);
            case 4 -> rangeBlock(depth);
            case 5 -> withBlock(depth);
            case 6 -> {
                String v = "$v" + vars.size();
                String s = open() + v + " := " + pipeline(0) + close();
                vars.add(v);
                yield s;
            }
            case 7 -> vars.size() > 1 ? open() + pick(vars.toArray(new String[0])) + " = " + pipeline(0) + close() : text();
            case 8 -> "{{/* a comment */}}" + (chance(50) ? "{{- /* trimmed */ -}}" : "");
            case 9 -> depth == 0 ? defineAndCall(depth) : text();
            case 10 -> rangeDepth > 0 && chance(50) ? open() + (chance(50) ? "break" : "continue") + close() : text();
            default -> open() + pipeline(0) + close() + text();
        };
    }

    private String body(int depth) {
        StringBuilder b = new StringBuilder();
        int n = random.nextInt(3);
        for (int i = 0; i < n; i++) {
            b.append(part(depth + 1));
        }
        return b.toString();
    }

    private String ifBlock(int depth) {
        int mark = vars.size();
        StringBuilder b = new StringBuilder(open() + "if " + pipeline(0) + close() + body(depth));
        if (chance(30)) {
            b.append(open()).append("else if ").append(pipeline(0)).append(close()).append(body(depth));
        }
        if (chance(40)) {
            b.append(open()).append("else").append(close()).append(body(depth));
        }
        b.append(open()).append("end").append(close());
        vars = new ArrayList<>(vars.subList(0, mark));
        return b.toString();
    }

    private String rangeBlock(int depth) {
        int mark = vars.size();
        String decl = "";
        int form = random.nextInt(3);
        if (form == 1) {
            decl = "$e" + vars.size() + " := ";
            vars.add("$e" + mark);
        } else if (form == 2) {
            decl = "$i" + mark + ", $e" + mark + " := ";
            vars.add("$i" + mark);
            vars.add("$e" + mark);
        }
        StringBuilder b = new StringBuilder(open() + "range " + decl + rangeTarget() + close());
        rangeDepth++;
        b.append(body(depth));
        if (chance(30)) {
            b.append(open()).append("if ").append(pipeline(0)).append(close()).append(open()).append(chance(50) ? "break" : "continue")
                    .append(close()).append(open()).append("end").append(close());
        }
        b.append(open()).append(".").append(close());
        rangeDepth--;
        if (chance(30)) {
            b.append(open()).append("else").append(close()).append(body(depth));
        }
        b.append(open()).append("end").append(close());
        vars = new ArrayList<>(vars.subList(0, mark));
        return b.toString();
    }

    private String rangeTarget() {
        return chance(70) ? field() : pipeline(0);
    }

    private String withBlock(int depth) {
        int mark = vars.size();
        StringBuilder b = new StringBuilder(open() + "with " + pipeline(0) + close() + open() + "." + close() + body(depth));
        if (chance(30)) {
            b.append(open()).append("else").append(close()).append(body(depth));
        }
        b.append(open()).append("end").append(close());
        vars = new ArrayList<>(vars.subList(0, mark));
        return b.toString();
    }

    private String defineAndCall(int depth) {
        String name = "t" + (defines++);
        List<String> saved = vars;
        int savedDepth = rangeDepth;
        vars = new ArrayList<>(List.of("$"));
        rangeDepth = 0;
        String inner = body(depth + 1) + "{{ . }}";
        vars = saved;
        rangeDepth = savedDepth;
        if (chance(40)) {
            return "{{ block \"" + name + "\" " + pipeline(0) + " }}" + inner + "{{ end }}";
        }
        return "{{ define \"" + name + "\" }}" + inner + "{{ end }}" + "{{ template \"" + name + "\"" + (chance(80) ? " " + pipeline(0) : "") + " }}";
    }

    private String field() {
        if (chance(25)) {
            return ".nested." + pick(KEYS);
        }
        return "." + pick(KEYS);
    }

    private String literal() {
        return switch (random.nextInt(10)) {
            case 9 -> "\"\\xff\\x80a\\303\\251\"";
            case 0 -> Integer.toString(random.nextInt(200) - 50);
            case 1 -> pick(new String[] {"1.5", "0.25", "1e3", "2.0", "-0.5", "1e6", "0x1F", "0o17", "0b101", "1_000", "'a'", "'\\n'"});
            case 2 -> "\"" + pick(new String[] {"", "x", "a b", "\\t", "\\u00e9", "%d", "quote\\\"d", "<&>"}) + "\"";
            case 3 -> "`raw " + pick(new String[] {"", "x", "\\n"}) + "`";
            case 4 -> random.nextBoolean() ? "true" : "false";
            case 5 -> chance(30) ? "nil" : "\"n\"";
            default -> Integer.toString(random.nextInt(5));
        };
    }

    private String operand(int depth) {
        int kind = random.nextInt(depth > 1 ? 5 : 9);
        return switch (kind) {
            case 0, 1 -> field();
            case 2 -> literal();
            case 3 -> pick(vars.toArray(new String[0])) + (chance(20) ? "." + pick(KEYS) : "");
            case 4 -> ".";
            case 5, 6 -> "(" + pipeline(depth + 1) + ")" + (chance(10) ? "." + pick(KEYS) : "");
            default -> "(" + call(depth + 1) + ")";
        };
    }

    private String call(int depth) {
        if (sprig && chance(70)) {
            return sprigCall(depth);
        }
        String f = pick(BUILTINS);
        StringBuilder b = new StringBuilder(f);
        int args = switch (f) {
            case "len", "not" -> 1;
            case "index", "slice" -> 1 + random.nextInt(3);
            case "ne", "lt", "le", "gt", "ge" -> 2;
            case "eq" -> 2 + random.nextInt(2);
            case "and", "or" -> 1 + random.nextInt(3);
            default -> random.nextInt(4);
        };
        if (chance(2)) {
            args += random.nextBoolean() ? 1 : -1;
        }
        if (f.equals("printf")) {
            b.append(" \"").append(pick(FORMATS).replace("\"", "\\\"")).append('"');
            args = Math.max(0, args - 1);
        }
        for (int i = 0; i < args; i++) {
            b.append(' ').append(f.equals("index") || f.equals("slice") ? (i == 0 ? operand(depth) : indexArg()) : operand(depth));
        }
        return b.toString();
    }

    private String indexArg() {
        return chance(60) ? Integer.toString(random.nextInt(4) - (chance(10) ? 1 : 0)) : chance(50) ? "\"" + pick(KEYS) + "\"" : operand(3);
    }

    private String pipeline(int depth) {
        StringBuilder b = new StringBuilder(chance(70) ? operand(depth) : call(depth));
        int stages = depth > 1 ? 0 : random.nextInt(3) == 0 ? 1 + random.nextInt(2) : 0;
        for (int i = 0; i < stages; i++) {
            b.append(" | ").append(pick(new String[] {"printf \"%v\"", "len", "html", "js", "urlquery", "print", "println", "not",
                "printf \"%q-%v\" 1", "eq 1", "index .list", "and 1", "or 0"}));
        }
        return b.toString();
    }
}
