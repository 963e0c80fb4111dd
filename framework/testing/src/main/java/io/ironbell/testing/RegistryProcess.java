package io.ironbell.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OCI registry for tests: Debian's {@code docker-registry} (the CNCF distribution
 * registry) serving plain HTTP on one address, its storage in a directory of the test's, stopped
 * with {@link #close()}. Optionally behind a command prefix (e.g. {@code ip netns exec NS}).
 */
public final class RegistryProcess implements AutoCloseable {

    private final Process process;
    private final String address;
    private final Path storage;

    private RegistryProcess(Process process, String address, Path storage) {
        this.process = process;
        this.address = address;
        this.storage = storage;
    }

    /**
     * Starts a registry listening on {@code host:port} and waits (30 s at most) until it answers.
     *
     * @param dir    where its configuration, storage and log go
     * @param auth   YAML appended to its configuration (an {@code auth:} section), or ""
     * @param prefix a command that runs it (e.g. {@code ip netns exec NS}), or none
     */
    public static RegistryProcess start(Path dir, String host, int port, String auth, List<String> prefix) throws IOException, InterruptedException {
        if (Sh.run(List.of("bash", "-c", "command -v docker-registry"), java.time.Duration.ofSeconds(10)).status() != 0) {
            throw new AssertionError("docker-registry is missing: apt-get install docker-registry (.ci/prepare installs it)");
        }
        Files.createDirectories(dir);
        Path config = dir.resolve("registry.yml");
        Path storage = dir.resolve("storage");
        Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + storage
                + "\nhttp:\n  addr: " + host + ":" + port + "\n" + auth);
        List<String> command = new java.util.ArrayList<>(prefix);
        command.addAll(List.of("timeout", "3600", "docker-registry", "serve", config.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        RegistryProcess r = new RegistryProcess(p, host + ":" + port, storage);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!r.answers(prefix)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                r.close();
                throw new AssertionError("docker-registry did not start on " + r.address + ": " + Files.readString(dir.resolve("registry.log")));
            }
            Thread.sleep(100);
        }
        return r;
    }

    private boolean answers(List<String> prefix) throws IOException, InterruptedException {
        if (!prefix.isEmpty()) {
            List<String> probe = new java.util.ArrayList<>(prefix);
            probe.addAll(List.of("curl", "-s", "-o", "/dev/null", "-m", "2", "http://" + address + "/v2/"));
            return new ProcessBuilder(probe).redirectErrorStream(true).start().waitFor() == 0;
        }
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + address + "/v2/").toURL().openConnection();
            c.setConnectTimeout(500);
            return c.getResponseCode() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** host:port, as an image reference starts. */
    public String address() {
        return address;
    }

    /** The file that holds a blob's bytes in the registry's storage (to alter it behind the registry's back). */
    public Path blobFile(String digest) {
        String hex = digest.substring("sha256:".length());
        return storage.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
