package io.ironbell.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Podman for tests with its configuration, storage, volumes and state in one directory, so that
 * nothing of the machine's own Podman is touched: runc and cgroupfs, the VFS storage driver, open
 * files limited as the test machines allow (docs/TEST-ENVIRONMENT.md), and short image names never
 * looked up anywhere, so tests stay off the internet.
 */
public final class Podman {

    private Podman() {
    }

    /**
     * Writes the configuration into {@code dir}.
     *
     * @param insecureRegistry a {@code host:port} Podman may pull from over plain HTTP, or null
     */
    public static Path configure(Path dir, String insecureRegistry) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("containers.conf"), """
                [containers]
                default_ulimits = ["nofile=10000:10000", "nproc=1000:1000"]
                [engine]
                runtime = "runc"
                cgroup_manager = "cgroupfs"
                events_logger = "file"
                tmp_dir = "%s"
                volume_path = "%s"
                [network]
                network_config_dir = "%s"
                """.formatted(dir.resolve("tmp"), dir.resolve("volumes"), dir.resolve("networks")));
        Files.writeString(dir.resolve("storage.conf"), """
                [storage]
                driver = "vfs"
                runroot = "%s"
                graphroot = "%s"
                """.formatted(dir.resolve("run"), dir.resolve("graph")));
        Files.writeString(dir.resolve("registries.conf"), "unqualified-search-registries = []\n" + (insecureRegistry == null ? ""
                : "[[registry]]\nlocation = \"" + insecureRegistry + "\"\ninsecure = true\n"));
        return dir;
    }

    /** The environment that points podman at the configuration in {@code dir}. */
    public static Map<String, String> environment(Path dir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
        env.put("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString());
        env.put("CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
        return env;
    }

    /** {@code podman ARGS} with the configuration in {@code dir}. */
    public static ProcessBuilder command(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(environment(dir));
        return pb;
    }
}
