package io.ironbell.engine.internal.gotemplate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;

/**
 * Tinkerbell's {@code toYaml} and {@code fromYaml}: sigs.k8s.io/yaml over gopkg.in/yaml.v2.
 * {@code toYaml} is JSON first (encoding/json), that JSON read as yaml.v2 reads it (numbers
 * become ints or floats by yaml.v2's rules), then written by a port of libyaml's emitter as
 * yaml.v2 drives it (keys in yaml.v2's order, its choice of quoting, block sequences not indented
 * under a key, 80 columns, literal blocks for text with line breaks). {@code fromYaml} reads the
 * first document by yaml.v2's rules (YAML 1.1 booleans, octal and binary ints, merge keys,
 * timestamps kept as text), turns keys into strings as sigs.k8s.io/yaml does, and goes through
 * JSON: numbers come back as float64.
 */
final class GoYaml {

    private GoYaml() {
    }

    /** A yaml.v2 int (int64 or uint64). */
    private record YInt(BigInteger value) {
    }

    /** A mapping read by yaml.v2: its keys as decoded (strings, YInt, Double, Boolean, null). */
    private record YMap(LinkedHashMap<Object, Object> entries) {
    }

    // ---- resolve: what a plain scalar means to yaml.v2 ----------------------------------------

    private enum Tag { STR, BOOL, INT, FLOAT, NULL, TIMESTAMP, MERGE }

    private record Resolved(Tag tag, Object value) {
    }

    private static final Map<String, Resolved> RESOLVE_MAP = new HashMap<>();

    static {
        for (String s : List.of("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.BOOL, true));
        }
        for (String s : List.of("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.BOOL, false));
        }
        for (String s : List.of("", "~", "null", "Null", "NULL")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.NULL, null));
        }
        for (String s : List.of(".nan", ".NaN", ".NAN")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.FLOAT, Double.NaN));
        }
        for (String s : List.of(".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.FLOAT, Double.POSITIVE_INFINITY));
        }
        for (String s : List.of("-.inf", "-.Inf", "-.INF")) {
            RESOLVE_MAP.put(s, new Resolved(Tag.FLOAT, Double.NEGATIVE_INFINITY));
        }
        RESOLVE_MAP.put("<<", new Resolved(Tag.MERGE, "<<"));
    }

    private static final Pattern YAML_FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern BASE60_FLOAT = Pattern.compile("[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?");
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** yaml.v2's resolve("", in). */
    private static Resolved resolve(String in) {
        char hint = in.isEmpty() ? 'N' : hint(in.charAt(0));
        if (hint == 0) {
            return new Resolved(Tag.STR, in);
        }
        Resolved known = RESOLVE_MAP.get(in);
        if (known != null) {
            return known;
        }
        if (hint == '.') {
            Double f = goParseFloat(in);
            if (f != null) {
                return new Resolved(Tag.FLOAT, f);
            }
        } else if (hint == 'D' || hint == 'S') {
            if (isTimestamp(in)) {
                return new Resolved(Tag.TIMESTAMP, in);
            }
            String plain = in.replace("_", "");
            BigInteger i = goParseInt(plain);
            if (i != null && i.compareTo(INT64_MIN) >= 0 && i.compareTo(UINT64_MAX) <= 0) {
                return new Resolved(Tag.INT, new YInt(i));
            }
            if (YAML_FLOAT.matcher(plain).matches()) {
                Double f = goParseFloat(plain);
                if (f != null) {
                    return new Resolved(Tag.FLOAT, f);
                }
            }
            if (plain.startsWith("0b") || plain.startsWith("-0b")) {
                boolean negative = plain.startsWith("-");
                String digits = plain.substring(negative ? 3 : 2);
                if (!digits.isEmpty() && digits.chars().allMatch(c -> c == '0' || c == '1')) {
                    BigInteger v = new BigInteger(digits, 2);
                    v = negative ? v.negate() : v;
                    if (v.compareTo(INT64_MIN) >= 0 && v.compareTo(negative ? INT64_MAX : UINT64_MAX) <= 0) {
                        return new Resolved(Tag.INT, new YInt(v));
                    }
                }
            }
        }
        return new Resolved(Tag.STR, in);
    }

    private static char hint(char c) {
        if (c == '+' || c == '-') {
            return 'S';
        }
        if (c >= '0' && c <= '9') {
            return 'D';
        }
        if ("yYnNtTfFoO~".indexOf(c) >= 0) {
            return 'M';
        }
        return c == '.' ? '.' : 0;
    }

    /** strconv.ParseInt(s, 0, 64) or, failing that, ParseUint(s, 0, 64): the value, or null. */
    private static BigInteger goParseInt(String s) {
        String t = s;
        boolean negative = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            negative = t.startsWith("-");
            t = t.substring(1);
        }
        int radix = 10;
        if (t.length() > 1 && t.charAt(0) == '0') {
            char p = Character.toLowerCase(t.charAt(1));
            if (p == 'x' || p == 'o' || p == 'b') {
                radix = p == 'x' ? 16 : p == 'o' ? 8 : 2;
                t = t.substring(2);
            } else {
                radix = 8;
                t = t.substring(1);
            }
        }
        if (t.isEmpty()) {
            return s.replaceFirst("^[-+]", "").equals("0") ? BigInteger.ZERO : null;
        }
        for (int i = 0; i < t.length(); i++) {
            if (Character.digit(t.charAt(i), radix) < 0 || t.charAt(i) > 'z') {
                return null;
            }
        }
        BigInteger v = new BigInteger(t, radix);
        v = negative ? v.negate() : v;
        if (negative && v.compareTo(INT64_MIN) < 0 || v.compareTo(UINT64_MAX) > 0) {
            return null;
        }
        return v;
    }

    /** strconv.ParseFloat(s, 64) for decimal text: the value, or null when Go refuses it (syntax, or out of range). */
    private static Double goParseFloat(String s) {
        if (!s.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
            return null;
        }
        double d = Double.parseDouble(s);
        return Double.isInfinite(d) ? null : d;
    }

    /** yaml.v2's parseTimestamp: the formats it tries with time.Parse, whose ranges Go checks (days against their month). */
    private static final Pattern TIMESTAMP = Pattern.compile("(?<y>\\d{4})-(?<mo>\\d{1,2})-(?<d>\\d{1,2})"
            + "(?:(?<sep>[Tt ])(?<h>\\d{1,2}):(?<mi>\\d{1,2}):(?<s>\\d{1,2})(?:\\.\\d+)?(?<z>Z|[+-](?<zh>\\d{2}):(?<zm>\\d{2}))?)?");

    private static boolean isTimestamp(String s) {
        java.util.regex.Matcher m = TIMESTAMP.matcher(s);
        if (!m.matches()) {
            return false;
        }
        int year = Integer.parseInt(m.group("y"));
        int month = Integer.parseInt(m.group("mo"));
        int day = Integer.parseInt(m.group("d"));
        if (month < 1 || month > 12 || day < 1 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return false;
        }
        if (m.group("sep") == null) {
            return true;
        }
        // "T" and "t" take a zone (Z07:00), the space none
        boolean zoned = !m.group("sep").equals(" ");
        if (zoned != (m.group("z") != null)) {
            return false;
        }
        if (Integer.parseInt(m.group("h")) > 23 || Integer.parseInt(m.group("mi")) > 59 || Integer.parseInt(m.group("s")) > 59) {
            return false;
        }
        // Go takes offsets up to 24 hours and 60 minutes
        return m.group("zh") == null || Integer.parseInt(m.group("zh")) <= 24 && Integer.parseInt(m.group("zm")) <= 60;
    }

    // ---- toYaml ---------------------------------------------------------------------------------

    static String toYaml(Object v) {
        String json = GoJson.marshal(v, true, null);
        if (json.isEmpty()) {
            throw new FunctionError("toYaml: error marshaling into JSON: json: unsupported value");
        }
        Object tree;
        try (JsonParser p = new JsonFactory().createParser(json)) {
            tree = fromJson(p, p.nextToken());
        } catch (IOException e) {
            throw new FunctionError("toYaml: " + e.getMessage());
        }
        Emitter e = new Emitter();
        e.node(tree, true, false, false, false);
        e.writeIndent();
        String out = e.out.toString();
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
    }

    /** JSON as yaml.v2 reads it: keys are strings (they are quoted), numbers resolved as plain scalars. */
    private static Object fromJson(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                LinkedHashMap<Object, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    m.put(k, fromJson(p, p.nextToken()));
                }
                return new YMap(m);
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(fromJson(p, e));
                }
                return l;
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return resolve(p.getText()).value();
            }
            case VALUE_TRUE -> {
                return true;
            }
            case VALUE_FALSE -> {
                return false;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> {
                return p.getText();
            }
        }
    }

    /** yaml.v2's key order: numbers before text, text compared with runs of digits as numbers. */
    private static int compareKeys(String a, String b) {
        int[] ar = a.codePoints().toArray();
        int[] br = b.codePoints().toArray();
        for (int i = 0; i < ar.length && i < br.length; i++) {
            if (ar[i] == br[i]) {
                continue;
            }
            boolean al = Character.isLetter(ar[i]);
            boolean bl = Character.isLetter(br[i]);
            if (al && bl) {
                return Integer.compare(ar[i], br[i]);
            }
            if (al || bl) {
                return bl ? -1 : 1;
            }
            long an = 0;
            long bn = 0;
            if (ar[i] == '0' || br[i] == '0') {
                for (int j = i - 1; j >= 0 && Character.isDigit(ar[j]); j--) {
                    if (ar[j] != '0') {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            int ai = i;
            for (; ai < ar.length && Character.isDigit(ar[ai]); ai++) {
                an = an * 10 + (ar[ai] - '0');
            }
            int bi = i;
            for (; bi < br.length && Character.isDigit(br[bi]); bi++) {
                bn = bn * 10 + (br[bi] - '0');
            }
            if (an != bn) {
                return an < bn ? -1 : 1;
            }
            if (ai != bi) {
                return ai < bi ? -1 : 1;
            }
            return Integer.compare(ar[i], br[i]);
        }
        return Integer.compare(ar.length, br.length);
    }

    private enum Style { PLAIN, SINGLE, DOUBLE, LITERAL }

    /** What libyaml's analysis finds in a scalar. */
    private record Analysis(boolean multiline, boolean flowPlain, boolean blockPlain, boolean singleQuoted, boolean block) {
    }

    private static boolean printable(int c) {
        return c == 0x0A || c >= 0x20 && c <= 0x7E || c >= 0xA0 && c <= 0xD7FF || c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF;
    }

    private static boolean isBreak(int c) {
        return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    private static boolean isBlank(int c) {
        return c == ' ' || c == '\t';
    }

    private static Analysis analyze(int[] v) {
        if (v.length == 0) {
            return new Analysis(false, false, true, true, false);
        }
        boolean blockIndicators = false;
        boolean flowIndicators = false;
        boolean lineBreaks = false;
        boolean special = false;
        boolean leadingSpace = false;
        boolean leadingBreak = false;
        boolean trailingSpace = false;
        boolean trailingBreak = false;
        boolean breakSpace = false;
        boolean spaceBreak = false;
        boolean previousSpace = false;
        boolean previousBreak = false;
        if (v.length >= 3 && (v[0] == '-' && v[1] == '-' && v[2] == '-' || v[0] == '.' && v[1] == '.' && v[2] == '.')) {
            blockIndicators = true;
            flowIndicators = true;
        }
        boolean precededByWhitespace = true;
        for (int i = 0; i < v.length; i++) {
            int c = v[i];
            boolean followedByWhitespace = i + 1 >= v.length || isBlank(v[i + 1]);
            if (i == 0) {
                switch (c) {
                    case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`' -> {
                        flowIndicators = true;
                        blockIndicators = true;
                    }
                    case '?', ':' -> {
                        flowIndicators = true;
                        if (followedByWhitespace) {
                            blockIndicators = true;
                        }
                    }
                    case '-' -> {
                        if (followedByWhitespace) {
                            flowIndicators = true;
                            blockIndicators = true;
                        }
                    }
                    default -> {
                    }
                }
            } else {
                switch (c) {
                    case ',', '?', '[', ']', '{', '}' -> flowIndicators = true;
                    case ':' -> {
                        flowIndicators = true;
                        if (followedByWhitespace) {
                            blockIndicators = true;
                        }
                    }
                    case '#' -> {
                        if (precededByWhitespace) {
                            flowIndicators = true;
                            blockIndicators = true;
                        }
                    }
                    default -> {
                    }
                }
            }
            if (!printable(c)) {
                special = true;
            }
            if (c == ' ') {
                leadingSpace |= i == 0;
                trailingSpace |= i == v.length - 1;
                breakSpace |= previousBreak;
                previousSpace = true;
                previousBreak = false;
            } else if (isBreak(c)) {
                lineBreaks = true;
                leadingBreak |= i == 0;
                trailingBreak |= i == v.length - 1;
                spaceBreak |= previousSpace;
                previousSpace = false;
                previousBreak = true;
            } else {
                previousSpace = false;
                previousBreak = false;
            }
            precededByWhitespace = isBlank(c) || isBreak(c);
        }
        boolean flowPlain = true;
        boolean blockPlain = true;
        boolean singleQuoted = true;
        boolean block = true;
        if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
            flowPlain = false;
            blockPlain = false;
        }
        if (trailingSpace) {
            block = false;
        }
        if (breakSpace) {
            flowPlain = false;
            blockPlain = false;
            singleQuoted = false;
        }
        if (spaceBreak || special) {
            flowPlain = false;
            blockPlain = false;
            singleQuoted = false;
            block = false;
        }
        if (lineBreaks) {
            flowPlain = false;
            blockPlain = false;
        }
        if (flowIndicators) {
            flowPlain = false;
        }
        if (blockIndicators) {
            blockPlain = false;
        }
        return new Analysis(lineBreaks, flowPlain, blockPlain, singleQuoted, block);
    }

    /** libyaml's emitter, as yaml.v2 drives it for plain data: block style, two spaces, 80 columns, unicode. */
    private static final class Emitter {
        private static final int BEST_INDENT = 2;
        private static final int BEST_WIDTH = 80;

        final StringBuilder out = new StringBuilder();
        private int column;
        private int indent = -1;
        private final Deque<Integer> indents = new ArrayDeque<>();
        private boolean whitespace = true;
        private boolean indention = true;
        private int flowLevel;
        private boolean simpleKeyContext;
        private boolean mappingContext;

        void node(Object v, boolean root, boolean sequence, boolean mapping, boolean simpleKey) {
            mappingContext = mapping;
            simpleKeyContext = simpleKey;
            if (v instanceof YMap m) {
                mapping(m);
            } else if (v instanceof List<?> l) {
                sequence(l);
            } else {
                scalar(v);
            }
        }

        private void increaseIndent(boolean flow, boolean indentless) {
            indents.push(indent);
            if (indent < 0) {
                indent = flow ? BEST_INDENT : 0;
            } else if (!indentless) {
                indent += BEST_INDENT;
            }
        }

        private void sequence(List<?> l) {
            if (l.isEmpty() || flowLevel > 0) {
                writeIndicator("[", true, true, false);
                increaseIndent(true, false);
                flowLevel++;
                flowLevel--;
                indent = indents.pop();
                writeIndicator("]", false, false, false);
                return;
            }
            increaseIndent(false, mappingContext && !indention);
            for (Object item : l) {
                writeIndent();
                writeIndicator("-", true, false, true);
                node(item, false, true, false, false);
            }
            indent = indents.pop();
        }

        private void mapping(YMap m) {
            if (m.entries().isEmpty() || flowLevel > 0) {
                writeIndicator("{", true, true, false);
                increaseIndent(true, false);
                flowLevel++;
                flowLevel--;
                indent = indents.pop();
                writeIndicator("}", false, false, false);
                return;
            }
            List<String> keys = new ArrayList<>();
            m.entries().keySet().forEach(k -> keys.add((String) k));
            keys.sort(GoYaml::compareKeys);
            increaseIndent(false, false);
            for (String k : keys) {
                writeIndent();
                Object value = m.entries().get(k);
                int[] text = k.codePoints().toArray();
                boolean simple = !analyze(text).multiline() && k.getBytes(StandardCharsets.UTF_8).length <= 128;
                if (simple) {
                    node(k, false, false, true, true);
                    writeIndicator(":", false, false, false);
                } else {
                    writeIndicator("?", true, false, true);
                    node(k, false, false, true, false);
                    writeIndent();
                    writeIndicator(":", true, false, true);
                }
                node(value, false, false, true, false);
            }
            indent = indents.pop();
        }

        private void scalar(Object v) {
            String text;
            Style requested;
            if (v == null) {
                text = "null";
                requested = Style.PLAIN;
            } else if (v instanceof Boolean b) {
                text = b.toString();
                requested = Style.PLAIN;
            } else if (v instanceof YInt i) {
                text = i.value().toString();
                requested = Style.PLAIN;
            } else if (v instanceof Double d) {
                text = d.isNaN() ? ".nan" : d.isInfinite() ? (d > 0 ? ".inf" : "-.inf") : GoFmt.formatFloat(d, 'g', -1, 64);
                requested = Style.PLAIN;
            } else {
                text = (String) v;
                boolean canUsePlain = resolve(text).tag() == Tag.STR && !(isBase60Candidate(text) && BASE60_FLOAT.matcher(text).matches());
                requested = text.contains("\n") ? Style.LITERAL : canUsePlain ? Style.PLAIN : Style.DOUBLE;
            }
            int[] value = text.codePoints().toArray();
            Analysis a = analyze(value);
            Style style = requested;
            if (simpleKeyContext && a.multiline()) {
                style = Style.DOUBLE;
            }
            if (style == Style.PLAIN) {
                if (flowLevel > 0 && !a.flowPlain() || flowLevel == 0 && !a.blockPlain()) {
                    style = Style.SINGLE;
                }
                if (value.length == 0 && (flowLevel > 0 || simpleKeyContext)) {
                    style = Style.SINGLE;
                }
            }
            if (style == Style.SINGLE && !a.singleQuoted()) {
                style = Style.DOUBLE;
            }
            if (style == Style.LITERAL && (!a.block() || flowLevel > 0 || simpleKeyContext)) {
                style = Style.DOUBLE;
            }
            increaseIndent(true, false);
            switch (style) {
                case PLAIN -> writePlain(value, !simpleKeyContext);
                case SINGLE -> writeSingleQuoted(value, !simpleKeyContext);
                case DOUBLE -> writeDoubleQuoted(value, !simpleKeyContext);
                case LITERAL -> writeLiteral(value);
            }
            indent = indents.pop();
        }

        private static boolean isBase60Candidate(String s) {
            if (s.isEmpty()) {
                return false;
            }
            char c = s.charAt(0);
            return (c == '+' || c == '-' || c >= '0' && c <= '9') && s.indexOf(':') >= 0;
        }

        private void put(char c) {
            out.append(c);
            column++;
        }

        private void putBreak() {
            out.append('\n');
            column = 0;
        }

        private void write(int c) {
            out.appendCodePoint(c);
            column++;
        }

        private void writeBreak(int c) {
            if (c == '\n') {
                putBreak();
            } else {
                out.appendCodePoint(c);
                column = 0;
            }
        }

        void writeIndent() {
            int i = Math.max(indent, 0);
            if (!indention || column > i || column == i && !whitespace) {
                putBreak();
            }
            while (column < i) {
                put(' ');
            }
            whitespace = true;
            indention = true;
        }

        private void writeIndicator(String indicator, boolean needWhitespace, boolean isWhitespace, boolean isIndention) {
            if (needWhitespace && !whitespace) {
                put(' ');
            }
            indicator.codePoints().forEach(this::write);
            whitespace = isWhitespace;
            indention = indention && isIndention;
        }

        private void writePlain(int[] v, boolean allowBreaks) {
            if (!whitespace) {
                put(' ');
            }
            boolean spaces = false;
            boolean breaks = false;
            for (int i = 0; i < v.length; i++) {
                int c = v[i];
                if (c == ' ') {
                    if (allowBreaks && !spaces && column > BEST_WIDTH && !(i + 1 < v.length && v[i + 1] == ' ')) {
                        writeIndent();
                    } else {
                        write(c);
                    }
                    spaces = true;
                } else if (isBreak(c)) {
                    if (!breaks && c == '\n') {
                        putBreak();
                    }
                    writeBreak(c);
                    indention = true;
                    breaks = true;
                } else {
                    if (breaks) {
                        writeIndent();
                    }
                    write(c);
                    indention = false;
                    spaces = false;
                    breaks = false;
                }
            }
            whitespace = false;
            indention = false;
        }

        private void writeSingleQuoted(int[] v, boolean allowBreaks) {
            writeIndicator("'", true, false, false);
            boolean spaces = false;
            boolean breaks = false;
            for (int i = 0; i < v.length; i++) {
                int c = v[i];
                if (c == ' ') {
                    if (allowBreaks && !spaces && column > BEST_WIDTH && i > 0 && i < v.length - 1 && v[i + 1] != ' ') {
                        writeIndent();
                    } else {
                        write(c);
                    }
                    spaces = true;
                } else if (isBreak(c)) {
                    if (!breaks && c == '\n') {
                        putBreak();
                    }
                    writeBreak(c);
                    indention = true;
                    breaks = true;
                } else {
                    if (breaks) {
                        writeIndent();
                    }
                    if (c == '\'') {
                        put('\'');
                    }
                    write(c);
                    indention = false;
                    spaces = false;
                    breaks = false;
                }
            }
            writeIndicator("'", false, false, false);
            whitespace = false;
            indention = false;
        }

        private void writeDoubleQuoted(int[] v, boolean allowBreaks) {
            boolean spaces = false;
            writeIndicator("\"", true, false, false);
            for (int i = 0; i < v.length; i++) {
                int c = v[i];
                if (!printable(c) || c == 0xFEFF || isBreak(c) || c == '"' || c == '\\') {
                    put('\\');
                    switch (c) {
                        case 0x00 -> put('0');
                        case 0x07 -> put('a');
                        case 0x08 -> put('b');
                        case 0x09 -> put('t');
                        case 0x0A -> put('n');
                        case 0x0B -> put('v');
                        case 0x0C -> put('f');
                        case 0x0D -> put('r');
                        case 0x1B -> put('e');
                        case 0x22 -> put('"');
                        case 0x5C -> put('\\');
                        case 0x85 -> put('N');
                        case 0xA0 -> put('_');
                        case 0x2028 -> put('L');
                        case 0x2029 -> put('P');
                        default -> {
                            int w;
                            if (c <= 0xFF) {
                                put('x');
                                w = 2;
                            } else if (c <= 0xFFFF) {
                                put('u');
                                w = 4;
                            } else {
                                put('U');
                                w = 8;
                            }
                            for (int k = (w - 1) * 4; k >= 0; k -= 4) {
                                int digit = (c >> k) & 0x0F;
                                put((char) (digit < 10 ? '0' + digit : 'A' + digit - 10));
                            }
                        }
                    }
                    spaces = false;
                } else if (c == ' ') {
                    if (allowBreaks && !spaces && column > BEST_WIDTH && i > 0 && i < v.length - 1) {
                        writeIndent();
                        if (v[i + 1] == ' ') {
                            put('\\');
                        }
                    } else {
                        write(c);
                    }
                    spaces = true;
                } else {
                    write(c);
                    spaces = false;
                }
            }
            writeIndicator("\"", false, false, false);
            whitespace = false;
            indention = false;
        }

        private void writeLiteral(int[] v) {
            writeIndicator("|", true, false, false);
            if (v.length > 0 && (v[0] == ' ' || isBreak(v[0]))) {
                writeIndicator(Integer.toString(BEST_INDENT), false, false, false);
            }
            String chomp = null;
            if (v.length == 0 || !isBreak(v[v.length - 1])) {
                chomp = "-";
            } else if (v.length == 1 || isBreak(v[v.length - 2])) {
                chomp = "+";
            }
            if (chomp != null) {
                writeIndicator(chomp, false, false, false);
            }
            putBreak();
            indention = true;
            whitespace = true;
            boolean breaks = true;
            for (int c : v) {
                if (isBreak(c)) {
                    writeBreak(c);
                    indention = true;
                    breaks = true;
                } else {
                    if (breaks) {
                        writeIndent();
                    }
                    write(c);
                    indention = false;
                    breaks = false;
                }
            }
        }
    }

    // ---- fromYaml -------------------------------------------------------------------------------

    private static final String STR_TAG = "tag:yaml.org,2002:str";
    private static final String BINARY_TAG = "tag:yaml.org,2002:binary";
    private static final Map<String, Tag> TAGS = Map.of("tag:yaml.org,2002:bool", Tag.BOOL, "tag:yaml.org,2002:int", Tag.INT,
            "tag:yaml.org,2002:float", Tag.FLOAT, "tag:yaml.org,2002:null", Tag.NULL, "tag:yaml.org,2002:timestamp", Tag.TIMESTAMP,
            STR_TAG, Tag.STR, "tag:yaml.org,2002:merge", Tag.MERGE);

    /** A node of the first document: a scalar (with its tag as written and whether it was plain), a mapping, a sequence or an alias. */
    private static final class YNode {
        Event event;
        final List<YNode> children = new ArrayList<>();
    }

    static Object fromYaml(String text) {
        if (text.isEmpty()) {
            throw new FunctionError("fromYaml: empty YAML input");
        }
        YNode root;
        Map<String, YNode> anchors = new HashMap<>();
        try {
            root = firstDocument(text, anchors);
        } catch (RuntimeException e) {
            throw new FunctionError("fromYaml: yaml: " + e.getMessage());
        }
        Object decoded = root == null ? null : decode(root, anchors, new HashSet<>());
        return toJsonValue(decoded);
    }

    private static YNode firstDocument(String text, Map<String, YNode> anchors) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(io.ironbell.api.json.Json.MAX_YAML_CODE_POINTS);
        options.setNestingDepthLimit(io.ironbell.api.json.Json.MAX_NESTING_DEPTH);
        Deque<YNode> open = new ArrayDeque<>();
        YNode root = null;
        boolean inDocument = false;
        for (Event e : new Yaml(options).parse(new StringReader(separationTabs(text)))) {
            switch (e.getEventId()) {
                case DocumentStart -> inDocument = true;
                case DocumentEnd -> {
                    return root;
                }
                case Scalar, Alias, MappingStart, SequenceStart -> {
                    if (!inDocument) {
                        break;
                    }
                    YNode n = new YNode();
                    n.event = e;
                    if (e instanceof NodeEvent ne && !(e instanceof AliasEvent) && ne.getAnchor() != null) {
                        anchors.put(ne.getAnchor(), n);
                    }
                    if (e instanceof AliasEvent a && !anchors.containsKey(a.getAnchor())) {
                        throw new IllegalArgumentException("unknown anchor '" + a.getAnchor() + "' referenced");
                    }
                    if (open.isEmpty()) {
                        root = n;
                    } else {
                        open.peek().children.add(n);
                    }
                    if (e instanceof MappingStartEvent || e instanceof SequenceStartEvent) {
                        open.push(n);
                    }
                }
                case MappingEnd, SequenceEnd -> open.pop();
                default -> {
                }
            }
        }
        return root;
    }

    /**
     * The text with the tabs that libyaml takes as separation turned into spaces, for SnakeYAML
     * takes none: tabs after a simple key's {@code :}, after an anchor or a tag, and around flow
     * indicators ({@code [ ] { } ,}). Tabs at the start of a line, after {@code -}, {@code ?} or a
     * complex key's {@code :}, and inside scalars, quotes, comments and block scalars stay.
     */
    static String separationTabs(String text) {
        if (text.indexOf('\t') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int flow = 0;
        char quote = 0;
        int blockParent = -1;
        for (String line : text.split("\n", -1)) {
            if (out.length() > 0) {
                out.append('\n');
            }
            int indent = 0;
            while (indent < line.length() && line.charAt(indent) == ' ') {
                indent++;
            }
            if (blockParent >= 0 && quote == 0) {
                if (line.isBlank() || indent > blockParent) {
                    out.append(line);
                    continue;
                }
                blockParent = -1;
            }
            boolean eatTabs = false;
            boolean tokenStart = true;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quote != 0) {
                    out.append(c);
                    if (quote == '"' && c == '\\' && i + 1 < line.length()) {
                        out.append(line.charAt(++i));
                    } else if (c == quote) {
                        if (quote == '\'' && i + 1 < line.length() && line.charAt(i + 1) == '\'') {
                            out.append(line.charAt(++i));
                        } else {
                            quote = 0;
                            tokenStart = false;
                        }
                    }
                    continue;
                }
                if (c == '\t' && (eatTabs || flow > 0) && i > indent) {
                    out.append(' ');
                    continue;
                }
                if (c == ' ' || c == '\t') {
                    out.append(c);
                    tokenStart = true;
                    continue;
                }
                eatTabs = false;
                if (c == '#' && tokenStart) {
                    out.append(line, i, line.length());
                    break;
                }
                boolean blankAfter = i + 1 >= line.length() || line.charAt(i + 1) == ' ' || line.charAt(i + 1) == '\t';
                if (tokenStart && (c == '"' || c == '\'')) {
                    quote = c;
                } else if (tokenStart && (c == '[' || c == '{')) {
                    flow++;
                    eatTabs = true;
                } else if (flow > 0 && (c == ']' || c == '}' || c == ',')) {
                    flow = Math.max(0, flow - (c == ',' ? 0 : 1));
                    eatTabs = true;
                } else if (c == ':' && (blankAfter || flow > 0)) {
                    // a complex key's value (a line that starts with ':') takes no tab
                    eatTabs = !line.substring(indent, i).isBlank() || flow > 0;
                } else if (tokenStart && (c == '&' || c == '!')) {
                    int end = i;
                    while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '\t') {
                        end++;
                    }
                    out.append(line, i, end);
                    i = end - 1;
                    eatTabs = true;
                    tokenStart = false;
                    continue;
                } else if (tokenStart && flow == 0 && (c == '|' || c == '>')) {
                    blockParent = indent;
                }
                out.append(c);
                tokenStart = c == '-' || c == '?' || c == ':' || c == '[' || c == '{' || c == ',';
            }
        }
        return out.toString();
    }

    /** yaml.v2's decoding into interface {}. */
    private static Object decode(YNode n, Map<String, YNode> anchors, Set<YNode> aliasing) {
        Event e = n.event;
        if (e instanceof AliasEvent a) {
            YNode target = anchors.get(a.getAnchor());
            if (!aliasing.add(target)) {
                throw new FunctionError("fromYaml: yaml: anchor '" + a.getAnchor() + "' value contains itself");
            }
            try {
                return decode(target, anchors, aliasing);
            } finally {
                aliasing.remove(target);
            }
        }
        if (e instanceof ScalarEvent s) {
            return scalar(s);
        }
        if (e instanceof SequenceStartEvent) {
            List<Object> l = new ArrayList<>();
            for (YNode c : n.children) {
                l.add(decode(c, anchors, aliasing));
            }
            return l;
        }
        LinkedHashMap<Object, Object> m = new LinkedHashMap<>();
        mapping(n, m, anchors, aliasing);
        return new YMap(m);
    }

    private static void mapping(YNode n, LinkedHashMap<Object, Object> out, Map<String, YNode> anchors, Set<YNode> aliasing) {
        for (int i = 0; i + 1 < n.children.size(); i += 2) {
            YNode key = n.children.get(i);
            YNode value = n.children.get(i + 1);
            if (isMerge(key)) {
                merge(value, out, anchors, aliasing);
                continue;
            }
            Object k = decode(key, anchors, aliasing);
            if (k instanceof YMap || k instanceof List) {
                throw new FunctionError("fromYaml: yaml: invalid map key");
            }
            out.put(k, decode(value, anchors, aliasing));
        }
    }

    private static boolean isMerge(YNode n) {
        return n.event instanceof ScalarEvent s && s.getValue().equals("<<")
                && (s.getTag() == null && s.getImplicit().canOmitTagInPlainScalar() && s.isPlain() || "tag:yaml.org,2002:merge".equals(s.getTag()));
    }

    private static void merge(YNode n, LinkedHashMap<Object, Object> out, Map<String, YNode> anchors, Set<YNode> aliasing) {
        YNode target = n.event instanceof AliasEvent a ? anchors.get(a.getAnchor()) : n;
        if (target.event instanceof MappingStartEvent) {
            Object decoded = decode(n, anchors, aliasing);
            ((YMap) decoded).entries().forEach((k, v) -> {
                out.remove(k);
                out.put(k, v);
            });
        } else if (target.event instanceof SequenceStartEvent && n.event instanceof SequenceStartEvent) {
            for (int i = n.children.size() - 1; i >= 0; i--) {
                YNode item = n.children.get(i);
                YNode it = item.event instanceof AliasEvent a ? anchors.get(a.getAnchor()) : item;
                if (!(it.event instanceof MappingStartEvent)) {
                    throw new FunctionError("fromYaml: yaml: map merge requires map or sequence of maps as the value");
                }
                ((YMap) decode(item, anchors, aliasing)).entries().forEach((k, v) -> {
                    out.remove(k);
                    out.put(k, v);
                });
            }
        } else {
            throw new FunctionError("fromYaml: yaml: map merge requires map or sequence of maps as the value");
        }
    }

    private static Object scalar(ScalarEvent s) {
        String value = s.getValue();
        String tag = s.getTag();
        if (tag == null || tag.equals("!")) {
            tag = s.isPlain() && tag == null ? "" : STR_TAG;
        }
        if (tag.equals(BINARY_TAG)) {
            try {
                byte[] data = Base64.getDecoder().decode(value.replace("\r", "").replace("\n", ""));
                return StandardCharsets.UTF_8.decode(ByteBuffer.wrap(data)).toString();
            } catch (IllegalArgumentException e) {
                throw new FunctionError("fromYaml: yaml: !!binary value contains invalid base64 data");
            }
        }
        Tag wanted = tag.isEmpty() ? null : TAGS.get(tag);
        if (!tag.isEmpty() && wanted == null) {
            return value; // a tag yaml.v2 does not resolve: the text
        }
        if (wanted == Tag.STR) {
            return value;
        }
        Resolved r = resolve(value);
        if (wanted == null || wanted == r.tag()) {
            return r.tag() == Tag.TIMESTAMP || r.tag() == Tag.MERGE ? value : r.value();
        }
        if (wanted == Tag.FLOAT && r.tag() == Tag.INT) {
            return ((YInt) r.value()).value().doubleValue();
        }
        throw new FunctionError("fromYaml: yaml: cannot decode " + r.tag() + " `" + value + "` as a " + wanted);
    }

    /** sigs.k8s.io/yaml's JSON-able object (keys as strings), then encoding/json out and back into interface {}. */
    private static Object toJsonValue(Object v) {
        if (v instanceof YMap m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.entries().forEach((k, value) -> out.put(keyString(k, value), toJsonValue(value)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(toJsonValue(e)));
            return out;
        }
        if (v instanceof YInt i) {
            return i.value().doubleValue();
        }
        if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            throw new FunctionError("fromYaml: json: unsupported value: " + GoFmt.formatFloat(d, 'g', -1, 64));
        }
        return v;
    }

    private static String keyString(Object k, Object value) {
        if (k instanceof String s) {
            return s;
        }
        if (k instanceof YInt i && i.value().compareTo(INT64_MAX) <= 0) {
            return i.value().toString();
        }
        if (k instanceof Double d) {
            return d.isNaN() ? ".nan" : d.isInfinite() ? (d > 0 ? ".inf" : "-.inf") : GoFmt.formatFloat(d, 'g', -1, 32);
        }
        if (k instanceof Boolean b) {
            return b.toString();
        }
        throw new FunctionError("fromYaml: Unsupported map key of type: " + (k == null ? "<nil>" : "uint64"));
    }
}
