package io.ironbell.action.kexec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of a grub.cfg that kexec needs: the menu entries (submenus included) with their
 * {@code linux} and {@code initrd} lines, the {@code set default=} values and the variables.
 * Scripts are not run, so conditions are judged the way generated files are written: of the
 * {@code set default=} lines the least nested in {@code if}s count, and of those the last (the
 * {@code else} of the {@code next_entry} test, not RHEL's boot-counting fallback); a later
 * {@code set} of a variable wins over an earlier one, and one from grubenv wins over the file's own
 * fallbacks (Ubuntu's {@code prev_saved_entry}, RHEL's {@code kernelopts}). Functions and entry
 * bodies set nothing.
 */
final class GrubConfig {

    /**
     * A menu entry: its title, its id ({@code --id} or {@code $menuentry_id_option}), the raw
     * arguments of its first {@code linux} and {@code initrd} commands (null when it has none),
     * and for a submenu its entries.
     */
    record Entry(String title, String id, String linux, String initrd, List<Entry> children) {

        boolean isSubmenu() {
            return children != null;
        }
    }

    /** The entry chosen to boot, with its kernel, initrds and arguments expanded. */
    record Choice(Entry entry, String kernel, List<String> initrds, List<String> args, String why) {
    }

    /** A {@code set default=} value as written, and how deep in {@code if}s it stands. */
    record Default(String value, int ifDepth) {
    }

    private final List<Entry> entries;
    private final List<Default> defaults;
    private final Map<String, String> variables;
    private final Map<String, String> grubenv;

    private GrubConfig(List<Entry> entries, List<Default> defaults, Map<String, String> variables, Map<String, String> grubenv) {
        this.entries = entries;
        this.defaults = defaults;
        this.variables = variables;
        this.grubenv = grubenv;
    }

    List<Entry> entries() {
        return entries;
    }

    /** The {@code set default=} lines, in file order, unexpanded. */
    List<Default> defaults() {
        return defaults;
    }

    /** Whether the file calls {@code blscfg} (Fedora, RHEL 8+): its entries are in loader/entries. */
    static boolean usesBls(String text) {
        return logicalLines(text).stream().anyMatch(l -> l.trim().equals("blscfg") || l.trim().startsWith("blscfg "));
    }

    /** Parses a grub.cfg with no grubenv and no Boot Loader Specification entries. */
    static GrubConfig parse(String text) {
        return parse(text, Map.of(), List.of());
    }

    /**
     * Parses the text of a grub.cfg.
     *
     * @param grubenv    the variables in grubenv beside it (saved_entry, next_entry, kernelopts)
     * @param blsEntries entries from loader/entries, inserted where the file calls {@code blscfg}
     */
    static GrubConfig parse(String text, Map<String, String> grubenv, List<Entry> blsEntries) {
        Parser p = new Parser(logicalLines(text), grubenv, blsEntries);
        List<Entry> top = p.block(0);
        return new GrubConfig(List.copyOf(top), List.copyOf(p.defaults), Map.copyOf(p.variables), Map.copyOf(grubenv));
    }

    /**
     * The entry GRUB boots without a keypress: grubenv's {@code next_entry} when the file honours
     * it, else the last of the least nested {@code set default}s, expanded ({@code ${saved_entry}}),
     * empty meaning {@code 0}. A default is an index ({@code 0}), a path into submenus ({@code 1>2}), a title or
     * an id; one that names a submenu boots the submenu's first entry, as GRUB does.
     *
     * @throws IllegalArgumentException naming the default when it matches no entry, or when the
     *                                  entry has no {@code linux} line
     */
    Choice choose() {
        int least = defaults.stream().mapToInt(Default::ifDepth).min().orElse(0);
        String raw = defaults.stream().filter(d -> d.ifDepth() == least).reduce((a, b) -> b).map(Default::value).orElse("");
        String why;
        String key;
        String next = grubenv.getOrDefault("next_entry", "");
        if (!next.isBlank() && defaults.stream().anyMatch(d -> d.value().contains("next_entry"))) {
            key = next.trim();
            why = "grubenv's next_entry='" + key + "'";
        } else {
            key = String.join(" ", words(raw, variables)).trim();
            why = raw.isEmpty() ? "no set default" : raw.equals(key) ? "set default=\"" + raw + "\"" : "set default=\"" + raw + "\" = '" + key + "'";
            if (key.isEmpty()) {
                key = "0";
            }
        }
        List<Entry> level = entries;
        Entry chosen = null;
        for (String part : key.split(">")) {
            chosen = find(level, part.trim());
            if (chosen == null) {
                throw new IllegalArgumentException("the default entry '" + key + "' (" + why + ") names no menu entry; entries: "
                        + titles(entries));
            }
            level = chosen.isSubmenu() ? chosen.children() : List.of();
        }
        while (chosen.isSubmenu()) {
            if (chosen.children().isEmpty()) {
                throw new IllegalArgumentException("the default entry '" + key + "' (" + why + ") is an empty submenu");
            }
            chosen = chosen.children().get(0);
        }
        if (chosen.linux() == null) {
            throw new IllegalArgumentException("the default entry '" + chosen.title() + "' (" + why + ") has no linux line");
        }
        List<String> linux = words(chosen.linux(), variables);
        if (linux.isEmpty()) {
            throw new IllegalArgumentException("the default entry '" + chosen.title() + "' has a linux line without a kernel");
        }
        List<String> initrds = chosen.initrd() == null ? List.of() : words(chosen.initrd(), variables);
        return new Choice(chosen, linux.get(0), initrds, List.copyOf(linux.subList(1, linux.size())), why);
    }

    private static Entry find(List<Entry> level, String key) {
        if (key.matches("\\d{1,9}")) {
            int i = Integer.parseInt(key);
            return i < level.size() ? level.get(i) : null;
        }
        for (Entry e : level) {
            if (key.equals(e.title()) || key.equals(e.id())) {
                return e;
            }
        }
        return null;
    }

    /** Titles with their index, submenus with their entries: for messages. */
    private static String titles(List<Entry> level) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < level.size(); i++) {
            Entry e = level.get(i);
            out.add(i + " '" + e.title() + "'" + (e.isSubmenu() ? " " + titles(e.children()) : ""));
        }
        return out.toString();
    }

    /** Reads the structure line by line; blocks nest through {@code { ... }}. */
    private static final class Parser {

        final List<String> lines;
        final Map<String, String> grubenv;
        final List<Entry> blsEntries;
        final List<Default> defaults = new ArrayList<>();
        final Map<String, String> variables;
        final Set<String> fromGrubenv;
        int pos;
        int ifDepth;

        Parser(List<String> lines, Map<String, String> grubenv, List<Entry> blsEntries) {
            this.lines = lines;
            this.grubenv = grubenv;
            this.blsEntries = blsEntries;
            this.variables = new HashMap<>(grubenv);
            this.fromGrubenv = new HashSet<>(grubenv.keySet());
        }

        /** The entries of one level, up to its closing brace; depth 0 is the file. */
        List<Entry> block(int depth) {
            List<Entry> out = new ArrayList<>();
            while (pos < lines.size()) {
                String line = lines.get(pos++).trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                List<String> words = words(line, null);
                String first = words.get(0);
                if (first.equals("}")) {
                    return out;
                }
                boolean opens = line.endsWith("{");
                if ((first.equals("menuentry") || first.equals("submenu")) && opens) {
                    String title = words.size() > 1 ? words.get(1) : "";
                    if (first.equals("submenu")) {
                        out.add(new Entry(title, idOf(words), null, null, List.copyOf(block(depth + 1))));
                    } else {
                        out.add(entry(title, idOf(words)));
                    }
                } else if (opens) {
                    skip(); // a function or a bare block: nothing in it runs now
                } else if (first.equals("blscfg")) {
                    out.addAll(blsEntries);
                } else if (depth == 0) {
                    conditionals(words, 1);
                    assignment(words);
                    conditionals(words, -1);
                }
            }
            return out;
        }

        /** Counts the statement-level {@code if}s (+1) or {@code fi}s (-1) of a line into ifDepth. */
        private void conditionals(List<String> words, int sign) {
            String prev = ";";
            for (String w : words) {
                boolean statement = prev.endsWith(";") || prev.equals("then") || prev.equals("else") || prev.equals("do");
                if (sign > 0 && statement && w.equals("if") || sign < 0 && statement && (w.equals("fi") || w.equals("fi;"))) {
                    ifDepth = Math.max(0, ifDepth + sign);
                }
                prev = w;
            }
        }

        /** {@code set name=value} or {@code name=value}: the default, or a variable. */
        private void assignment(List<String> words) {
            String w = words.get(0).equals("set") && words.size() > 1 ? words.get(1) : words.get(0);
            int eq = w.indexOf('=');
            if (eq <= 0 || !w.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                return;
            }
            String name = w.substring(0, eq);
            // words() took the quotes off and left $references as written, to expand later
            String value = w.substring(eq + 1);
            if (name.equals("default")) {
                defaults.add(new Default(value, ifDepth));
            } else if (!fromGrubenv.contains(name) && !name.equals("root")) {
                variables.put(name, String.join(" ", words(value, variables)));
            }
        }

        private Entry entry(String title, String id) {
            String linux = null;
            String initrd = null;
            int depth = 1;
            while (pos < lines.size() && depth > 0) {
                String line = lines.get(pos++).trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.equals("}")) {
                    depth--;
                    continue;
                }
                if (line.endsWith("{")) {
                    depth++;
                    continue;
                }
                String command = line.split("\\s+", 2)[0];
                String rest = line.length() > command.length() ? line.substring(command.length()).trim() : "";
                switch (command) {
                    case "linux", "linuxefi", "linux16" -> linux = linux == null ? rest : linux;
                    case "initrd", "initrdefi", "initrd16" -> initrd = initrd == null ? rest : initrd;
                    default -> {
                        // insmod, search, echo, set root=...: not needed to find the files
                    }
                }
            }
            return new Entry(title, id, linux, initrd, null);
        }

        private void skip() {
            int depth = 1;
            while (pos < lines.size() && depth > 0) {
                String line = lines.get(pos++).trim();
                if (line.equals("}")) {
                    depth--;
                } else if (line.endsWith("{")) {
                    depth++;
                }
            }
        }
    }

    /** The entry's id: {@code --id X}, {@code --id=X}, or the word after {@code $menuentry_id_option}. */
    private static String idOf(List<String> words) {
        for (int i = 2; i < words.size(); i++) {
            String w = words.get(i);
            if ((w.equals("--id") || w.equals("$menuentry_id_option") || w.equals("${menuentry_id_option}")) && i + 1 < words.size()) {
                return words.get(i + 1);
            }
            if (w.startsWith("--id=")) {
                return w.substring(5);
            }
        }
        return "";
    }

    /** Lines joined across backslash-newline continuations. */
    static List<String> logicalLines(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : text.split("\r?\n", -1)) {
            if (raw.endsWith("\\") && !raw.endsWith("\\\\")) {
                cur.append(raw, 0, raw.length() - 1).append(' ');
                continue;
            }
            cur.append(raw);
            out.add(cur.toString());
            cur.setLength(0);
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    /**
     * Splits a line into words as GRUB's script does: quotes removed ('…' literal, "…" with
     * backslash escapes), adjacent parts joined ({@code root='hd0,gpt2'}). With variables,
     * {@code $name} and {@code ${name}} outside single quotes are expanded (an unset one to
     * nothing, {@code $root} not at all) and an unquoted expansion is split into words; with
     * {@code null} they stay as written.
     */
    static List<String> words(String line, Map<String, String> variables) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                end = end < 0 ? n : end;
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (i < n && line.charAt(i) != '"') {
                    char d = line.charAt(i);
                    if (d == '\\' && i + 1 < n) {
                        word.append(line.charAt(i + 1));
                        i += 2;
                    } else if (d == '$' && variables != null) {
                        i = expand(line, i, variables, word);
                    } else {
                        word.append(d);
                        i++;
                    }
                }
                inWord = true;
                i++;
            } else if (c == '\\' && i + 1 < n) {
                word.append(line.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (c == '$' && variables != null) {
                StringBuilder value = new StringBuilder();
                i = expand(line, i, variables, value);
                String[] parts = value.toString().split("\\s+", -1);
                for (int k = 0; k < parts.length; k++) {
                    if (k > 0 && inWord) {
                        out.add(word.toString());
                        word.setLength(0);
                        inWord = false;
                    }
                    word.append(parts[k]);
                    inWord |= !parts[k].isEmpty();
                }
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }

    /** Appends the value of the reference at {@code i} ({@code $name}, {@code ${name}}); returns the index after it. */
    private static int expand(String line, int i, Map<String, String> variables, StringBuilder to) {
        int start = i + 1;
        int end;
        String name;
        if (start < line.length() && line.charAt(start) == '{') {
            int close = line.indexOf('}', start);
            if (close < 0) {
                to.append('$');
                return start;
            }
            name = line.substring(start + 1, close);
            end = close + 1;
        } else {
            end = start;
            while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) {
                end++;
            }
            name = line.substring(start, end);
            if (name.isEmpty()) {
                to.append('$');
                return start;
            }
        }
        // $root names a GRUB device, which BootFiles drops from paths: kept as written
        to.append(name.equals("root") ? line.substring(i, end) : variables.getOrDefault(name, ""));
        return end;
    }
}
