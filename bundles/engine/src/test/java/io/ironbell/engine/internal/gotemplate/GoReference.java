package io.ironbell.engine.internal.gotemplate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real thing to compare with: {@code src/test/go/.../gotemplate-reference}, Go's
 * text/template with Sprig (Debian's golang-go and golang-github-masterminds-sprig-dev, GOPATH
 * mode, offline), built into target/ and run as one process that answers a request per line.
 * Without Go the tests fail, naming the packages (.ci/prepare installs them).
 */
public final class GoReference implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    /** What the reference answered: the output, or the error and whether parsing or execution failed. */
    public record Answer(String out, String error, String phase) {
        public boolean ok() {
            return error == null;
        }
    }

    private GoReference(Process process) {
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    public static GoReference start() throws IOException, InterruptedException {
        Path source = Path.of("src/test/go").toAbsolutePath();
        Path binary = Path.of("target/gotemplate-reference").toAbsolutePath();
        Path go = Path.of("/usr/bin/go");
        if (!Files.isExecutable(go) || !Files.isDirectory(Path.of("/usr/share/gocode/src/github.com/Masterminds/sprig"))) {
            throw new IllegalStateException("the differential tests need Go and Sprig: apt-get install golang-go golang-github-masterminds-sprig-dev"
                    + " (.ci/prepare does)");
        }
        ProcessBuilder build = new ProcessBuilder(go.toString(), "build", "-o", binary.toString(), ".")
                .directory(source.resolve("src/ironbell.io/gotemplate-reference").toFile()).redirectErrorStream(true);
        build.environment().putAll(java.util.Map.of("GO111MODULE", "off", "GOPROXY", "off", "GOPATH", source + ":/usr/share/gocode",
                "GOCACHE", Path.of("target/go-cache").toAbsolutePath().toString(), "GOFLAGS", "",
                // pure Go: no C compiler needed (net would otherwise want cgo for its resolver)
                "CGO_ENABLED", "0"));
        Process b = build.start();
        String log = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!b.waitFor(5, TimeUnit.MINUTES) || b.exitValue() != 0) {
            b.destroyForcibly();
            throw new IllegalStateException("go build of the reference renderer failed: " + log);
        }
        ProcessBuilder run = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        // time.Local is UTC, as for Tinkerbell's controller in its container
        run.environment().put("TZ", "UTC");
        return new GoReference(run.start());
    }

    /** Renders on the reference; {@code data} is typed JSON (see main.go). */
    public Answer render(String name, String text, JsonNode data, String missingKey, String funcs) throws IOException {
        ObjectNode req = JSON.createObjectNode();
        req.put("name", name).put("text", text).put("missingkey", missingKey).put("funcs", funcs);
        req.set("data", data);
        in.write(JSON.writeValueAsString(req));
        in.write('\n');
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("the reference renderer ended");
        }
        JsonNode res = JSON.readTree(line);
        return new Answer(res.has("out") ? res.get("out").asText() : null, res.has("error") ? res.get("error").asText() : null,
                res.path("phase").asText(null));
    }

    /** Go values into typed JSON (see main.go), so that the reference renders on the same data. */
    public static JsonNode encode(Object v) {
        com.fasterxml.jackson.databind.node.JsonNodeFactory f = JSON.getNodeFactory();
        if (v == null) {
            return f.nullNode();
        }
        if (v instanceof String s) {
            return f.textNode(s);
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (v instanceof Long l) {
            return f.numberNode(l);
        }
        if (v instanceof Double d) {
            return f.numberNode(d);
        }
        if (v instanceof GoValues.GoNumber n) {
            if (!n.type().equals("int64")) {
                throw new IllegalArgumentException("typed JSON has no " + n.type());
            }
            return JSON.createObjectNode().put("$int64", n.bits());
        }
        if (v instanceof GoValues.GoSlice s) {
            ObjectNode o = JSON.createObjectNode().put("$slice", s.elemType());
            com.fasterxml.jackson.databind.node.ArrayNode items = o.putArray("items");
            s.items().forEach(e -> items.add(encode(e)));
            return o;
        }
        if (v instanceof List<?> l) {
            com.fasterxml.jackson.databind.node.ArrayNode a = JSON.createArrayNode();
            l.forEach(e -> a.add(encode(e)));
            return a;
        }
        if (v instanceof java.util.Map<?, ?> m) {
            ObjectNode o = JSON.createObjectNode();
            m.forEach((k, e) -> o.set((String) k, encode(e)));
            return o;
        }
        if (v instanceof GoValues.GoStruct s) {
            return struct(s.type(), s, false);
        }
        if (v instanceof GoValues.GoPointer p) {
            if (p.target() instanceof GoValues.GoStruct s) {
                return struct(p.elemType(), s, true);
            }
            if (p.target() == null && !p.elemType().equals("bool") && !p.elemType().equals("string")) {
                return struct(p.elemType(), null, true);
            }
            ObjectNode o = JSON.createObjectNode().put("$ptr", true).put("type", p.elemType());
            o.set("value", encode(p.target()));
            return o;
        }
        throw new IllegalArgumentException("typed JSON has no " + v.getClass());
    }

    private static JsonNode struct(String type, GoValues.GoStruct s, boolean pointer) {
        ObjectNode o = JSON.createObjectNode().put("$struct", type);
        if (pointer) {
            o.put("$ptr", true);
        }
        if (s == null) {
            o.putNull("fields");
            return o;
        }
        com.fasterxml.jackson.databind.node.ArrayNode fields = o.putArray("fields");
        s.fields().forEach((k, e) -> fields.addArray().add(k).add(encode(e)));
        return o;
    }

    /** Typed JSON into the Java side's Go values (the same rules as main.go). */
    static Object decode(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isNumber()) {
            String text = n.toString();
            if (text.contains(".") || text.contains("e") || text.contains("E")) {
                return n.asDouble();
            }
            return n.asLong();
        }
        if (n.isArray()) {
            List<Object> out = new java.util.ArrayList<>();
            n.forEach(e -> out.add(decode(e)));
            return out;
        }
        if (n.has("$struct")) {
            java.util.LinkedHashMap<String, Object> fields = new java.util.LinkedHashMap<>();
            JsonNode raw = n.get("fields");
            if (raw != null && !raw.isNull()) {
                raw.forEach(pair -> fields.put(pair.get(0).asText(), decode(pair.get(1))));
            }
            String type = n.get("$struct").asText();
            GoValues.GoStruct s = new GoValues.GoStruct(type, fields);
            if (n.path("$ptr").asBoolean(false)) {
                return new GoValues.GoPointer(type, raw == null || raw.isNull() ? null : s);
            }
            return s;
        }
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), decode(e.getValue())));
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            in.close();
        } catch (IOException e) {
            // it is going away anyway
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
