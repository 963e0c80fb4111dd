package io.ironbell.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.configuration2.CompositeConfiguration;
import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.MapConfiguration;
import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;

/**
 * Ironbell's one configuration: embedded defaults, then {@code conf/ironbell.properties},
 * then environment variables ({@code IRONBELL_HTTP_PORT}), then system properties
 * ({@code -Dhttp.port}), each overriding the ones before.
 *
 * <p>Read with Apache Commons Configuration, so the file may use its interpolation
 * ({@code ${env:HOME}}, {@code ${sys:user.name}}) and includes.
 */
public final class Settings {

    /** The resource holding every key with its default. */
    static final String DEFAULTS = "/io/ironbell/launcher/ironbell.properties";

    private static final String ENV_PREFIX = "IRONBELL_";
    private static final String SYS_PREFIX = "ironbell.";

    private final Map<String, String> values;
    private final Map<String, String> defaults;

    private Settings(Map<String, String> values, Map<String, String> defaults) {
        this.values = Collections.unmodifiableMap(values);
        this.defaults = Collections.unmodifiableMap(defaults);
    }

    /**
     * Loads the settings.
     *
     * @param file       the configuration file; it may be missing
     * @param env        environment variables
     * @param sysProps   system properties (and {@code -D} arguments)
     * @throws SettingsException when the file cannot be read, naming it and the reason
     */
    public static Settings load(Path file, Map<String, String> env, Map<String, String> sysProps) throws SettingsException {
        PropertiesConfiguration defaults = defaults();
        PropertiesConfiguration fromFile = new PropertiesConfiguration();
        if (file != null && Files.isRegularFile(file)) {
            try {
                new FileHandler(fromFile).load(file.toFile());
            } catch (ConfigurationException e) {
                throw new SettingsException("cannot read " + file + ": " + rootMessage(e), e);
            }
        }
        Set<String> known = new TreeSet<>();
        keys(defaults).forEachRemaining(known::add);
        keys(fromFile).forEachRemaining(known::add);

        CompositeConfiguration all = new CompositeConfiguration();
        all.addConfiguration(new MapConfiguration(fromSystemProperties(sysProps, known)));
        all.addConfiguration(new MapConfiguration(fromEnvironment(env, known)));
        all.addConfiguration(fromFile);
        all.addConfiguration(defaults);

        Map<String, String> values = new TreeMap<>();
        for (Iterator<String> it = all.getKeys(); it.hasNext(); ) {
            String key = it.next();
            values.put(key, String.join(",", all.getStringArray(key)).trim());
        }
        Map<String, String> defaultValues = new TreeMap<>();
        for (Iterator<String> it = defaults.getKeys(); it.hasNext(); ) {
            String key = it.next();
            defaultValues.put(key, defaults.getString(key).trim());
        }
        return new Settings(values, defaultValues);
    }

    /**
     * Checks every value against its default's kind: a key whose default is a whole number
     * must be one, a key whose default is true or false must be a boolean. This catches
     * {@code http.port=abc} here, with the key's name, instead of as a component that fails
     * to activate later.
     *
     * @return keys that look like typos of known ones: unknown keys under a known prefix
     * @throws SettingsException naming the first key whose value is of the wrong kind
     */
    public List<String> validate() throws SettingsException {
        Set<String> knownPrefixes = new TreeSet<>();
        defaults.keySet().forEach(k -> knownPrefixes.add(prefixOf(k)));
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String def = defaults.get(e.getKey());
            String v = e.getValue();
            if (def == null) {
                if (knownPrefixes.contains(prefixOf(e.getKey()))) {
                    unknown.add(e.getKey());
                }
            } else if (def.matches("-?\\d+") && !v.matches("-?\\d+")) {
                throw new SettingsException(e.getKey() + " must be a whole number (default " + def + "), was '" + v + "'");
            } else if ((def.equals("true") || def.equals("false")) && !(v.equals("true") || v.equals("false"))) {
                throw new SettingsException(e.getKey() + " must be true or false (default " + def + "), was '" + v + "'");
            }
        }
        return unknown;
    }

    static PropertiesConfiguration defaults() throws SettingsException {
        PropertiesConfiguration defaults = new PropertiesConfiguration();
        try (InputStream in = Settings.class.getResourceAsStream(DEFAULTS)) {
            new FileHandler(defaults).load(in);
        } catch (IOException | ConfigurationException e) {
            throw new SettingsException("cannot read the embedded defaults: " + e.getMessage(), e);
        }
        return defaults;
    }

    /**
     * Maps {@code IRONBELL_HTTP_MAX_REQUEST_BYTES} to a known key ignoring case and separators, else to
     * {@code http.max.request.bytes}; names ending in {@code _OPTS} are JVM options, not settings.
     */
    static Map<String, Object> fromEnvironment(Map<String, String> env, Set<String> known) {
        Map<String, String> bySquashed = new LinkedHashMap<>();
        for (String key : known) {
            bySquashed.put(squash(key), key);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            // IRONBELL_CLI_OPTS and IRONBELL_WORKER_OPTS are JVM options for bin/ironbell, not settings
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length() && !name.endsWith("_OPTS")) {
                String rest = name.substring(ENV_PREFIX.length());
                String key = bySquashed.getOrDefault(squash(rest), rest.toLowerCase(Locale.ROOT).replace('_', '.'));
                out.put(key, value);
            }
        });
        return out;
    }

    /** Takes {@code -Dironbell.http.port} and {@code -Dhttp.port} when {@code http} is a known prefix. */
    static Map<String, Object> fromSystemProperties(Map<String, String> props, Set<String> known) {
        Set<String> prefixes = new TreeSet<>();
        for (String key : known) {
            prefixes.add(prefixOf(key));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        props.forEach((name, value) -> {
            if (name.startsWith(SYS_PREFIX) && name.length() > SYS_PREFIX.length()) {
                out.put(name.substring(SYS_PREFIX.length()), value);
            }
        });
        props.forEach((name, value) -> {
            if (name.indexOf('.') > 0 && prefixes.contains(prefixOf(name))) {
                out.putIfAbsent(name, value);
            }
        });
        return out;
    }

    private static String squash(String key) {
        StringBuilder b = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c != '.' && c != '_' && c != '-') {
                b.append(Character.toLowerCase(c));
            }
        }
        return b.toString();
    }

    static String prefixOf(String key) {
        int dot = key.indexOf('.');
        return dot < 0 ? key : key.substring(0, dot);
    }

    private static Iterator<String> keys(Configuration c) {
        return c.getKeys();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Returns settings with some values replaced (the launcher's own decisions, e.g. the embedded database's URL). */
    public Settings with(Map<String, String> replacements) {
        Map<String, String> v = new TreeMap<>(values);
        v.putAll(replacements);
        return new Settings(v, defaults);
    }

    /** Every key with its effective value, sorted. */
    public Map<String, String> all() {
        return values;
    }

    /** Returns a value, or {@code fallback}. */
    public String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    /** Returns an integer value, or fails naming the key. */
    public int getInt(String key, int fallback) throws SettingsException {
        String v = values.get(key);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new SettingsException(key + " must be an integer, was '" + v + "'", e);
        }
    }

    /**
     * Groups the keys by component: {@code http.port} becomes property {@code port} of PID
     * {@code io.ironbell.http}. Keys of the launcher's own prefixes are left out.
     */
    public Map<String, Map<String, String>> byPid(Set<String> launcherPrefixes) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        values.forEach((key, value) -> {
            String prefix = prefixOf(key);
            if (key.length() > prefix.length() && !launcherPrefixes.contains(prefix)) {
                out.computeIfAbsent("io.ironbell." + prefix, p -> new TreeMap<>())
                        .put(key.substring(prefix.length() + 1), value);
            }
        });
        return out;
    }
}
