package io.ironbell.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ironbell.api.workflow.WorkerAction;
import io.ironbell.client.oci.OciException;
import io.ironbell.testing.FreePort;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Which images are plugin artifacts, asked once: a container image's registry is not asked again
 * for every action, nor an unreachable one waited for again (its reason is given again instead).
 */
class RegistryPluginsTest {

    private static WorkerAction action(String image) {
        return new WorkerAction("wf-1", 0, "t", "a", image, List.of(), List.of(), Map.of(), null, 60, 1, false);
    }

    @Test
    void aContainerImageIsAskedAboutOnce() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + "0".repeat(64) + "\",\"size\":2},\"layers\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        registry.createContext("/v2/acme/app/manifests/1", ex -> {
            asked.incrementAndGet();
            ex.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            ex.sendResponseHeaders(200, manifest.length);
            ex.getResponseBody().write(manifest);
            ex.close();
        });
        registry.start();
        try {
            String host = "127.0.0.1:" + registry.getAddress().getPort();
            RegistryPlugins plugins = new RegistryPlugins(Set.of(host), List::of);
            assertTrue(plugins.pull(action(host + "/acme/app:1")).isEmpty(), "a container image is no plugin");
            assertTrue(plugins.pull(action(host + "/acme/app:1")).isEmpty());
            assertEquals(1, asked.get(), "asked once");
        } finally {
            registry.stop(0);
        }
    }

    @Test
    void anUnreachableRegistryIsNotWaitedForAgain() throws Exception {
        String host = "127.0.0.1:" + FreePort.find();
        RegistryPlugins plugins = new RegistryPlugins(Set.of(host), List::of);
        OciException first = assertThrows(OciException.class, () -> plugins.pull(action(host + "/acme/app:1")));
        assertEquals(OciException.Kind.UNAVAILABLE, first.kind());
        OciException again = assertThrows(OciException.class, () -> plugins.pull(action(host + "/acme/app:1")));
        assertTrue(again.getMessage().startsWith(first.getMessage()) && again.getMessage().contains("a recent attempt"), again.getMessage());
        assertTrue(plugins.pull(action("not a reference")).isEmpty(), "what is no OCI reference is no plugin");
    }
}
