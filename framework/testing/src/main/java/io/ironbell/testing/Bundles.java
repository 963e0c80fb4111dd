package io.ironbell.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Makes bundle jars for tests. */
public final class Bundles {

    private Bundles() {
    }

    /** Writes a copy of {@code jar} whose Bundle-Version is {@code version}: a genuinely new version of the bundle. */
    public static Path withVersion(Path jar, String version, Path out) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream jos = new JarOutputStream(os, manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    jos.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jos);
                    jos.closeEntry();
                }
            }
        }
        return out;
    }

    /**
     * Puts {@code file} into {@code dir} as {@code name} atomically: copied beside the directory,
     * then renamed in, so a watcher never sees a half-written file.
     */
    public static Path dropInto(Path dir, Path file, String name) throws IOException {
        Path staging = dir.resolveSibling("." + name + ".part");
        try (InputStream in = Files.newInputStream(file)) {
            Files.copy(in, staging, StandardCopyOption.REPLACE_EXISTING);
        }
        return Files.move(staging, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
