package io.ironbell.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginRegistryTest {

    private static ActionPlugin plugin() {
        return ctx -> ActionResult.success("ok");
    }

    @Test
    void theLongestWholePartPrefixWinsThenTheTypeNameThenTheContainerPlugin() {
        PluginRegistry r = new PluginRegistry();
        ActionPlugin image2disk = plugin();
        ActionPlugin vendor = plugin();
        ActionPlugin container = plugin();
        r.add(image2disk, Map.of(ActionPlugin.TYPE, "image2disk", ActionPlugin.IMAGES,
                new String[] {"quay.io/tinkerbell-actions/image2disk", "quay.io/tinkerbell/actions/image2disk"}, "service.id", 1L), "a");
        r.add(vendor, Map.of(ActionPlugin.TYPE, "acme-disk", ActionPlugin.IMAGES, "quay.io/tinkerbell-actions/image2disk:v9", "service.id", 2L), "b");
        r.add(container, Map.of(ActionPlugin.TYPE, "container", "service.id", 3L), "c");

        assertEquals(image2disk, r.choose("quay.io/tinkerbell-actions/image2disk:v1.0.0").orElseThrow().entry().plugin());
        assertEquals(image2disk, r.choose("quay.io/tinkerbell/actions/image2disk@sha256:00").orElseThrow().entry().plugin());
        assertEquals(vendor, r.choose("quay.io/tinkerbell-actions/image2disk:v9").orElseThrow().entry().plugin(), "longer prefix");
        assertEquals(container, r.choose("quay.io/tinkerbell-actions/image2disk2:v1").orElseThrow().entry().plugin(), "a prefix matches whole parts");
        assertEquals(image2disk, r.choose("image2disk").orElseThrow().entry().plugin(), "bare type name");
        assertEquals(image2disk, r.choose("image2disk:latest").orElseThrow().entry().plugin());
        assertEquals(container, r.choose("ghcr.io/acme/image2disk:v2").orElseThrow().entry().plugin(), "another registry's image is not ours");
        assertEquals(container, r.choose("container").orElseThrow().entry().plugin());

        r.remove(container);
        assertTrue(r.choose("docker.io/library/alpine:3").isEmpty());
    }

    @Test
    void aHigherRankingWinsATie() {
        PluginRegistry r = new PluginRegistry();
        ActionPlugin old = plugin();
        ActionPlugin better = plugin();
        r.add(old, Map.of(ActionPlugin.TYPE, "kexec", ActionPlugin.IMAGES, "x/kexec", "service.id", 1L), "a");
        r.add(better, Map.of(ActionPlugin.TYPE, "kexec", ActionPlugin.IMAGES, "x/kexec", "service.id", 2L, "service.ranking", 10), "b");
        assertEquals(better, r.choose("x/kexec:1").orElseThrow().entry().plugin());
    }
}
