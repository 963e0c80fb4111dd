package io.ironbell.worker.internal;

import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ImageClaims;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The action plugins registered now, and which one runs an image. Plugins come and go while the
 * worker runs (a vendor's bundle dropped into deploy/); each action asks again.
 *
 * <p>An image runs on: the plugin with the longest {@value ActionPlugin#IMAGES} prefix of it
 * (highest service ranking on a tie); else the plugin whose type is the image's name without
 * registry, path and tag ({@code image2disk}, {@code ghcr.io/acme/image2disk:v2} is not: a
 * prefix must claim it); else the {@value #CONTAINER} plugin, which runs it in a container.
 */
final class PluginRegistry {

    /** The type of the plugin that runs any other image in a container engine. */
    static final String CONTAINER = "container";

    /** A registered plugin and where it came from. */
    record Entry(ActionPlugin plugin, String type, List<String> prefixes, int ranking, long serviceId, String origin) {
    }

    /** The plugin chosen for an image, and why. */
    record Choice(Entry entry, String why) {
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    void add(ActionPlugin plugin, Map<String, ?> properties, String origin) {
        Object type = properties.get(ActionPlugin.TYPE);
        if (type == null || type.toString().isBlank()) {
            return; // not addressable; the registration is a mistake the plugin's log shows
        }
        Object ranking = properties.get("service.ranking");
        Object id = properties.get("service.id");
        entries.add(new Entry(plugin, type.toString(), strings(properties.get(ActionPlugin.IMAGES)),
                ranking instanceof Integer r ? r : 0, id instanceof Long l ? l : 0, origin));
    }

    void remove(ActionPlugin plugin) {
        entries.removeIf(e -> e.plugin() == plugin);
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The plugin for an image, or empty when none can run it (no container plugin either). */
    Optional<Choice> choose(String image) {
        return choose(image, e -> true);
    }

    /** The plugin for an image among those of one bundle ({@code origin}: name and version). */
    Optional<Choice> choose(String image, String origin) {
        return choose(image, e -> e.origin().equals(origin));
    }

    /** The plugin for an image among those {@code eligible} accepts. */
    Optional<Choice> choose(String image, java.util.function.Predicate<Entry> eligible) {
        String img = image == null ? "" : image.trim();
        Comparator<Entry> better = Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::serviceId);
        Entry best = null;
        int bestLength = -1;
        for (Entry e : sorted(better, eligible)) {
            for (String prefix : e.prefixes()) {
                if (ImageClaims.prefixMatches(img, prefix) && prefix.length() > bestLength) {
                    best = e;
                    bestLength = prefix.length();
                }
            }
        }
        if (best != null) {
            return Optional.of(new Choice(best, "image prefix"));
        }
        for (Entry e : sorted(better, eligible)) {
            if (!e.type().equals(CONTAINER) && ImageClaims.typeMatches(img, e.type())) {
                return Optional.of(new Choice(e, "type name"));
            }
        }
        for (Entry e : sorted(better, eligible)) {
            if (e.type().equals(CONTAINER)) {
                return Optional.of(new Choice(e, "no native plugin claims the image"));
            }
        }
        return Optional.empty();
    }

    private List<Entry> sorted(Comparator<Entry> order, java.util.function.Predicate<Entry> eligible) {
        List<Entry> l = new ArrayList<>(entries);
        l.removeIf(eligible.negate());
        l.sort(order);
        return l;
    }

    private static List<String> strings(Object v) {
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof String[] a) {
            return List.of(a);
        }
        if (v instanceof java.util.Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return List.of();
    }
}
