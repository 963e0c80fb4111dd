package io.ironbell.api.json;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The Jackson mappers for Ironbell's model, configured once: ISO-8601 timestamps, and
 * limits that keep hostile input from exhausting memory or stack.
 *
 * <p>YAML aliases are never expanded: Jackson reads {@code *name} as the text {@code name},
 * so an alias bomb stays as small as its text. Readers for which aliases would be a silent
 * misreading (templates) refuse them before mapping.
 *
 * <p>The mappers are thread-safe and shared; do not reconfigure them.
 */
public final class Json {

    /** Deepest nesting of objects and arrays accepted in JSON or YAML input. */
    public static final int MAX_NESTING_DEPTH = 64;

    /** Largest YAML document accepted, in code points. */
    public static final int MAX_YAML_CODE_POINTS = 1 << 20;

    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .maxStringLength(16 << 20)
            .build();

    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());

    private static final ObjectMapper YAML = configure(YAMLMapper.builder(yamlFactory()).build());

    private Json() {
    }

    /** The JSON mapper. */
    public static ObjectMapper mapper() {
        return JSON;
    }

    /** The YAML mapper, for templates. */
    public static ObjectMapper yaml() {
        return YAML;
    }

    private static YAMLFactory yamlFactory() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowRecursiveKeys(false);
        options.setNestingDepthLimit(MAX_NESTING_DEPTH);
        options.setCodePointLimit(MAX_YAML_CODE_POINTS);
        return YAMLFactory.builder().loaderOptions(options).streamReadConstraints(LIMITS).build();
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(LIMITS);
        mapper.registerModule(new JavaTimeModule());
        mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        return mapper;
    }
}
