package io.ironbell.bmc.redfish.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What differs between vendors' Redfish services, kept as data ({@code quirks.json} in this
 * bundle, and the operator's {@code redfish.quirksFile} read first): each entry matches the
 * system's or manager's {@code Manufacturer} and {@code Model} by regular expression and turns on
 * named behaviours. A quirk that no entry names is off.
 */
final class Quirks {

    /** Don't send BootSourceOverrideMode (firmware that refuses the whole PATCH when it is there). */
    static final String OMIT_BOOT_MODE = "omitBootMode";
    /** InsertMedia with the image only: no Inserted and WriteProtected, optional since Redfish 2021.1. */
    static final String MINIMAL_INSERT_BODY = "minimalInsertBody";
    /** Insert and eject by PATCH of Image and Inserted even where the actions are listed. */
    static final String MEDIA_BY_PATCH = "virtualMediaByPatch";
    /** A power cycle is ForceOff then On, whatever ResetTypes the service lists. */
    static final String CYCLE_AS_OFF_ON = "cycleAsOffOn";

    private record Rule(String name, Pattern manufacturer, Pattern model, List<String> quirks) {
    }

    private final List<Rule> rules;

    private Quirks(List<Rule> rules) {
        this.rules = rules;
    }

    /** The bundled quirks, after the operator's file when there is one. */
    static Quirks load(String operatorFile) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Rule> rules = new ArrayList<>();
        if (operatorFile != null && !operatorFile.isBlank()) {
            read(json.readTree(Files.readAllBytes(Path.of(operatorFile))), operatorFile, rules);
        }
        try (InputStream in = Quirks.class.getResourceAsStream("quirks.json")) {
            read(json.readTree(in), "quirks.json", rules);
        }
        return new Quirks(rules);
    }

    private static void read(JsonNode doc, String source, List<Rule> into) throws IOException {
        if (!doc.isArray()) {
            throw new IOException(source + ": a JSON array of {name, manufacturer, model, quirks} is expected");
        }
        for (JsonNode r : doc) {
            List<String> quirks = new ArrayList<>();
            r.path("quirks").forEach(q -> quirks.add(q.asText()));
            into.add(new Rule(r.path("name").asText("?"), Pattern.compile(r.path("manufacturer").asText(".*")),
                    Pattern.compile(r.path("model").asText(".*")), quirks));
        }
    }

    /** The quirks of every entry that matches. */
    List<String> of(String manufacturer, String model) {
        List<String> on = new ArrayList<>();
        for (Rule r : rules) {
            if (r.manufacturer().matcher(manufacturer == null ? "" : manufacturer).matches()
                    && r.model().matcher(model == null ? "" : model).matches()) {
                on.addAll(r.quirks());
            }
        }
        return on;
    }
}
