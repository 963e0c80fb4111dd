package io.ironbell.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A plugin project made from the SDK's template ({@code sdk/template}): every file copied with
 * its placeholders ({@code __GROUP__}, {@code __ARTIFACT__}, {@code __PACKAGE__}, {@code __CLASS__},
 * {@code __TYPE__}, {@code __IMAGE__}, {@code __SDK__}) filled in, Java sources moved under their
 * package's directory.
 */
final class ProjectTemplate {

    private ProjectTemplate() {
    }

    /**
     * Makes the project; returns the jar {@code mvn package} will make in it.
     *
     * @throws IllegalArgumentException for a group or type that cannot name a package or class
     * @throws IOException              when the directory exists or cannot be written
     */
    static Path create(Path sdk, Path dir, String group, String type, String image) throws IOException {
        if (!group.matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*")) {
            throw new IllegalArgumentException("--group must be a Java package name such as com.acme, was '" + group + "'");
        }
        if (!type.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("--type must be lower-case words joined by '-', such as raid-config, was '" + type + "'");
        }
        String img = image != null ? image : "ghcr.io/" + group.substring(group.lastIndexOf('.') + 1) + "/" + type;
        if (!img.matches("[a-z0-9.:-]+(/[a-z0-9._-]+)+")) {
            throw new IllegalArgumentException("--image must be an image name without tag, such as ghcr.io/acme/raid-config, was '" + img + "'");
        }
        if (Files.exists(dir)) {
            throw new FileAlreadyExistsException(dir + " exists");
        }
        StringBuilder cls = new StringBuilder();
        for (String word : type.split("-")) {
            cls.append(word.substring(0, 1).toUpperCase(Locale.ROOT)).append(word.substring(1));
        }
        String pkg = group + "." + type.replace("-", "");
        Map<String, String> values = new LinkedHashMap<>();
        values.put("__GROUP__", group);
        values.put("__ARTIFACT__", type);
        values.put("__PACKAGE__", pkg);
        values.put("__CLASS__", cls + "Action");
        values.put("__TYPE__", type);
        values.put("__IMAGE__", img);
        values.put("__SDK__", sdk.toString());
        Path template = sdk.resolve("template");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(template)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String rel = template.relativize(f).toString();
            if (rel.startsWith("src/main/java/") || rel.startsWith("src/test/java/")) {
                rel = rel.substring(0, 14) + pkg.replace('.', '/') + "/" + rel.substring(14);
            }
            Path out = dir.resolve(fill(rel, values));
            Files.createDirectories(out.getParent());
            Files.writeString(out, fill(Files.readString(f, StandardCharsets.UTF_8), values), StandardCharsets.UTF_8);
        }
        return dir.resolve("target").resolve(type + "-1.0.0.jar");
    }

    private static String fill(String text, Map<String, String> values) {
        String s = text;
        for (Map.Entry<String, String> e : values.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        return s;
    }
}
