package io.ironbell.engine.internal.gotemplate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ironbell's text/template against Go's own, byte for byte: on 10,000 generated templates with
 * random data (and 10,000 more that call Sprig's functions too), each either rendered identically
 * by both or refused by both (parse and execution errors alike). Every difference is written to target/gotemplate-differences.txt with the
 * template and the data, and fails the test.
 */
public class DifferentialTest {

    private static final int GENERATED = Integer.getInteger("gotemplate.generated", 10_000);
    private static GoReference go;

    @BeforeAll
    static void start() throws Exception {
        go = GoReference.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (go != null) {
            go.close();
        }
    }

    /** Renders with Ironbell; null output means it refused, with the reason in error[0]. */
    static String java(String text, JsonNode data, String missingKey, String[] error) {
        return java(text, data, missingKey, error, false);
    }

    /** With {@code sprig}, Sprig's functions as Tinkerbell offers them. */
    static String java(String text, JsonNode data, String missingKey, String[] error, boolean sprig) {
        try {
            TextTemplate t = TextTemplate.parse("t", text, sprig ? TinkerbellFunctions.all() : Map.of(),
                    TextTemplate.MissingKey.valueOf(missingKey.toUpperCase()));
            return asSentByGo(t.execute(GoReference.decode(data), 1 << 20));
        } catch (GoTemplateException e) {
            error[0] = e.getMessage();
            return null;
        } catch (RuntimeException e) {
            error[0] = "CRASH " + e;
            return null;
        }
    }

    /** The output as the reference sends it: its JSON encoder writes U+FFFD for each byte that is not UTF-8. */
    public static String asSentByGo(String out) {
        StringBuilder b = new StringBuilder(out.length());
        for (int i = 0; i < out.length(); i++) {
            b.append(GoBytes.isRawByte(out, i) ? '\uFFFD' : out.charAt(i));
        }
        return b.toString();
    }

    @Test
    void generatedTemplatesRenderAsGoRendersThem() throws Exception {
        compare("builtin", 20261206L, "gotemplate-differences.txt");
    }

    /** The same with Sprig's functions as Tinkerbell's controller offers them (those Ironbell has). */
    @Test
    void generatedTemplatesWithSprigRenderAsTinkerbellRendersThem() throws Exception {
        compare("tinkerbell", 20261207L, "gotemplate-sprig-differences.txt");
    }

    /**
     * Hand-written templates for what the generator reaches too rarely (src/test/resources/gotemplate-cases/*.tmpl,
     * templates separated by a line "=====", rendered with Tinkerbell's functions on data.json).
     */
    @Test
    void handWrittenCasesRenderAsTinkerbellRendersThem() throws Exception {
        Path dir = Path.of("src/test/resources/gotemplate-cases");
        JsonNode data = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("data.json").toFile());
        List<String> differences = new ArrayList<>();
        int cases = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tmpl")).sorted().toList()) {
                for (String text : Files.readString(f).split("\n=====\n")) {
                    cases++;
                    GoReference.Answer expected = go.render("t", text, data, "error", "tinkerbell");
                    String[] error = new String[1];
                    String actual = java(text, data, "error", error, true);
                    if (expected.ok() ? !expected.out().equals(actual) : actual != null) {
                        differences.add(f.getFileName() + ": " + text + "\ngo:   " + (expected.ok() ? "OUT " + expected.out()
                                : "ERROR " + expected.error()) + "\njava: " + (actual != null ? "OUT " + actual : "ERROR " + error[0]));
                    }
                }
            }
        }
        assertTrue(cases > 30, "the cases were read: " + cases);
        assertTrue(differences.isEmpty(), differences.size() + " differences from Go, the first:\n" + (differences.isEmpty() ? "" : differences.get(0)));
    }

    private static void compare(String funcs, long seed, String reportName) throws Exception {
        boolean sprig = funcs.equals("tinkerbell");
        TemplateGenerator gen = new TemplateGenerator(seed, sprig);
        List<String> differences = new ArrayList<>();
        int rendered = 0;
        int refused = 0;
        long javaNanos = 0;
        for (int i = 0; i < GENERATED; i++) {
            String text = gen.template();
            JsonNode data = gen.data();
            String missingKey = i % 5 == 0 ? "default" : i % 7 == 0 ? "zero" : "error";
            GoReference.Answer expected = go.render("t", text, data, missingKey, funcs);
            String[] error = new String[1];
            long t0 = System.nanoTime();
            String actual = java(text, data, missingKey, error, sprig);
            javaNanos += System.nanoTime() - t0;
            if (expected.ok()) {
                rendered++;
            } else {
                refused++;
            }
            boolean same = expected.ok() ? expected.out().equals(actual) : actual == null;
            if (!same) {
                differences.add("#" + i + " missingkey=" + missingKey + "\ntemplate: " + text + "\ndata: " + data + "\ngo:   "
                        + (expected.ok() ? "OUT " + expected.out() : "ERROR " + expected.error()) + "\njava: "
                        + (actual != null ? "OUT " + actual : "ERROR " + error[0]) + "\n");
            }
        }
        Path report = Path.of("target", reportName);
        Files.writeString(report, String.join("\n", differences));
        System.out.printf("gotemplate differential (%s): %d templates, %d rendered and %d refused by Go, %d differences;"
                + " Ironbell parsed and rendered them in %.1f µs each on average%n", funcs, GENERATED, rendered, refused, differences.size(),
                javaNanos / 1e3 / GENERATED);
        assertTrue(rendered > GENERATED / 4, "the generator makes templates that render, not only ones that fail: " + rendered);
        assertTrue(differences.isEmpty(), differences.size() + " differences from Go (" + report.toAbsolutePath() + "), the first:\n"
                + (differences.isEmpty() ? "" : differences.get(0)));
    }
}
