package io.ironbell.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A CA and server certificates for tests' TLS servers, made with Debian's {@code openssl}. */
public final class TestPki {

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** Makes a CA (EC P-256) in {@code dir}. */
    public static TestPki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=Ironbell test CA", "-keyout", "ca.key", "-out", "ca.pem");
        return new TestPki(dir);
    }

    /** The CA's certificate (PEM). */
    public Path ca() {
        return dir.resolve("ca.pem");
    }

    /**
     * Issues a server certificate for these names (DNS names or IP addresses); returns its
     * certificate, its key beside it as {@code NAME.key}.
     */
    public Path issue(String name, List<String> names) throws IOException, InterruptedException {
        StringBuilder san = new StringBuilder("subjectAltName=");
        for (int i = 0; i < names.size(); i++) {
            san.append(i > 0 ? "," : "").append(names.get(i).matches("[0-9.]+|.*:.*") ? "IP:" : "DNS:").append(names.get(i));
        }
        Files.writeString(dir.resolve(name + ".ext"), san + "\n");
        run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + names.get(0),
                "-keyout", name + ".key", "-out", name + ".csr");
        run(dir, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", name + ".ext", "-out", name + ".pem");
        return dir.resolve(name + ".pem");
    }

    /** The key of a certificate {@link #issue} made. */
    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Sh.Result r = Sh.run(new ProcessBuilder(command).directory(dir.toFile()), Duration.ofSeconds(30));
        if (r.status() != 0) {
            throw new IOException(String.join(" ", command) + ": " + r.output() + r.errors());
        }
    }
}
