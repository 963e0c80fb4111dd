package io.ironbell.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 service for tests: S3Proxy (org.gaul, from Maven Central) on 127.0.0.1 with its
 * filesystem backend, checking AWS signatures (V2 and V4) with a fixed identity and credential.
 * Its objects are plain files under {@link #objects()}, which a test reads to check, without going
 * through the client under test, what was stored. Stopped with {@link #close()}.
 */
public final class S3ProxyProcess implements AutoCloseable {

    /** The access key S3Proxy accepts. */
    public static final String ACCESS_KEY = "ironbell-test-identity";
    /** The secret key S3Proxy accepts. */
    public static final String SECRET_KEY = "ironbell-test-credential";

    private final Process process;
    private final int port;
    private final Path objects;

    private S3ProxyProcess(Process process, int port, Path objects) {
        this.process = process;
        this.port = port;
        this.objects = objects;
    }

    /**
     * Starts S3Proxy from {@code jar} (its jar-with-dependencies; system property
     * {@code ironbell.s3proxyJar} in the builds here) on a free port, waiting 60 s at most.
     *
     * @param dir where its configuration, objects and log go
     */
    public static S3ProxyProcess start(Path jar, Path dir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("S3Proxy's jar is missing: " + jar + " (a test dependency: the build downloads it)");
        }
        Files.createDirectories(dir);
        int port = FreePort.find();
        Path objects = dir.resolve("objects");
        Files.createDirectories(objects);
        Path config = dir.resolve("s3proxy.conf");
        Files.writeString(config, "s3proxy.endpoint=http://127.0.0.1:" + port + "\n"
                + "s3proxy.authorization=aws-v2-or-v4\n"
                + "s3proxy.identity=" + ACCESS_KEY + "\n"
                + "s3proxy.credential=" + SECRET_KEY + "\n"
                + "jclouds.provider=filesystem\n"
                + "jclouds.filesystem.basedir=" + objects + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of("timeout", "3600", java, "-Xmx256m", "-jar", jar.toString(), "--properties", config.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        S3ProxyProcess s3 = new S3ProxyProcess(p, port, objects);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!s3.answers()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                s3.close();
                throw new AssertionError("S3Proxy did not start on port " + port + ": " + Files.readString(dir.resolve("s3proxy.log")));
            }
            Thread.sleep(200);
        }
        return s3;
    }

    /** The jar the builds here name in the system property {@code ironbell.s3proxyJar}. */
    public static Path jarFromBuild() {
        String jar = System.getProperty("ironbell.s3proxyJar");
        if (jar == null || jar.isBlank()) {
            throw new AssertionError("system property ironbell.s3proxyJar is not set (the module's pom sets it)");
        }
        return Path.of(jar);
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The directory holding one directory per bucket, and in it one file per object, named by its key. */
    public Path objects() {
        return objects;
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
