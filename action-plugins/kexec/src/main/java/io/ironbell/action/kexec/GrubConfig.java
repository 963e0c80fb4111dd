package io.ironbell.action.kexec;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a grub.cfg that kexec needs: the menu entries (submenus included) with their
 * {@code linux} and {@code initrd} lines, and which one is the default. Scripts are not run:
 * {@code set default=} is read literally, and a default that names a variable
 * ({@code ${saved_entry}}) or nothing falls back to {@code savedEntry}, else the first entry.
 */
final class GrubConfig {

    /** A menu entry: its title, its id (--id or $menuentry_id_option), and its kernel and initrd lines. */
    record Entry(String title, String id, String kernel, List<String> kernelArgs, List<String> initrds, List<Entry> children) {

        boolean isSubmenu() {
            return children != null;
        }
    }

    private static final Pattern QUOTED = Pattern.compile("'([^']*)'|\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)");

    private final List<Entry> entries;
    private final String defaultEntry;

    private GrubConfig(List<Entry> entries, String defaultEntry) {
        this.entries = entries;
        this.defaultEntry = defaultEntry;
    }

    List<Entry> entries() {
        return entries;
    }

    /** The value of {@code set default=}, or empty. */
    String defaultSetting() {
        return defaultEntry;
    }

    /** Parses the text of a grub.cfg. */
    static GrubConfig parse(String text) {
        List<String> lines = logicalLines(text);
        int[] pos = {0};
        String[] def = {""};
        List<Entry> top = block(lines, pos, def, 0);
        return new GrubConfig(top, def[0]);
    }

    /**
     * The entry to boot: {@code set default} as an index ({@code 0}), a path into submenus
     * ({@code 1>2}), a title or an id; a variable or nothing means {@code savedEntry} (from grubenv)
     * when given, else the first entry.
     *
     * @throws IllegalArgumentException naming the default when it matches no entry
     */
    Entry chooseDefault(Optional<String> savedEntry) {
        String d = defaultEntry.trim();
        if (d.isEmpty() || d.contains("$")) {
            d = savedEntry.filter(s -> !s.isBlank()).orElse("0");
        }
        List<Entry> level = entries;
        Entry chosen = null;
        for (String part : d.split(">")) {
            chosen = find(level, part.trim());
            if (chosen == null) {
                throw new IllegalArgumentException("grub.cfg's default entry '" + d + "' names no menu entry (entries: "
                        + titles(level) + ")");
            }
            level = chosen.isSubmenu() ? chosen.children() : List.of();
        }
        // a default that names a submenu boots its first entry, as GRUB does
        while (chosen.isSubmenu()) {
            if (chosen.children().isEmpty()) {
                throw new IllegalArgumentException("grub.cfg's submenu '" + chosen.title() + "' has no entries");
            }
            chosen = chosen.children().get(0);
        }
        return chosen;
    }

    private static Entry find(List<Entry> level, String key) {
        if (key.matches("\\d+")) {
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

    private static List<String> titles(List<Entry> level) {
        return level.stream().map(Entry::title).toList();
    }

    private static List<Entry> block(List<String> lines, int[] pos, String[] def, int depth) {
        List<Entry> out = new ArrayList<>();
        while (pos[0] < lines.size()) {
            String line = lines.get(pos[0]++).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> words = words(line);
            String first = words.get(0);
            if (first.equals("}")) {
                return out;
            }
            if (depth == 0 && first.equals("set") && words.size() > 1 && words.get(1).startsWith("default=")) {
                def[0] = unquote(words.get(1).substring("default=".length()));
            } else if ((first.equals("menuentry") || first.equals("submenu")) && line.endsWith("{")) {
                String title = words.size() > 1 ? words.get(1) : "";
                String id = idOf(words);
                if (first.equals("submenu")) {
                    out.add(new Entry(title, id, null, List.of(), List.of(), block(lines, pos, def, depth + 1)));
                } else {
                    out.add(entry(title, id, lines, pos));
                }
            } else if (first.equals("{")) {
                block(lines, pos, def, depth + 1); // a bare block: skip it
            } else if ((first.startsWith("if") || first.equals("function")) && line.endsWith("{")) {
                block(lines, pos, def, depth + 1);
            }
        }
        return out;
    }

    private static Entry entry(String title, String id, List<String> lines, int[] pos) {
        String kernel = null;
        List<String> args = List.of();
        List<String> initrds = new ArrayList<>();
        int depth = 1;
        while (pos[0] < lines.size() && depth > 0) {
            String line = lines.get(pos[0]++).trim();
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
            List<String> words = words(line);
            switch (words.get(0)) {
                case "linux", "linuxefi", "linux16" -> {
                    if (kernel == null && words.size() > 1) {
                        kernel = words.get(1);
                        args = List.copyOf(words.subList(2, words.size()));
                    }
                }
                case "initrd", "initrdefi", "initrd16" -> {
                    if (initrds.isEmpty()) {
                        initrds.addAll(words.subList(1, words.size()));
                    }
                }
                default -> {
                    // insmod, search, echo, set root=...: not needed to find the files
                }
            }
        }
        return new Entry(title, id, kernel, args, List.copyOf(initrds), null);
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
    private static List<String> logicalLines(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : text.split("\r?\n", -1)) {
            if (raw.endsWith("\\")) {
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

    /** Shell-like words: quotes removed, a trailing '{' kept as its own word. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = QUOTED.matcher(line);
        while (m.find()) {
            if (m.group(1) != null) {
                out.add(m.group(1));
            } else if (m.group(2) != null) {
                out.add(m.group(2).replaceAll("\\\\(.)", "$1"));
            } else {
                out.add(m.group(3));
            }
        }
        return out;
    }

    private static String unquote(String s) {
        List<String> w = words(s);
        return w.isEmpty() ? "" : String.join(" ", w);
    }
}
