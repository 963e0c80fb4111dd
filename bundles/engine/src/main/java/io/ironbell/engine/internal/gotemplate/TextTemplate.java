package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.Node.ListNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A Go text/template: parsed once, executed on data as Go executes it. The functions are Go's
 * builtins and those given (Sprig's, Tinkerbell's); a given function replaces a builtin of the
 * same name, as Go's Funcs does.
 */
public final class TextTemplate {

    /** What a missing map key gives, as Go's {@code Option("missingkey=...")}. */
    public enum MissingKey { DEFAULT, ZERO, ERROR }

    private final String name;
    private final Map<String, ListNode> trees;
    private final Map<String, Function> functions;
    private final MissingKey missingKey;

    private TextTemplate(String name, Map<String, ListNode> trees, Map<String, Function> functions, MissingKey missingKey) {
        this.name = name;
        this.trees = trees;
        this.functions = functions;
        this.missingKey = missingKey;
    }

    /**
     * Parses {@code text} as Go's {@code template.New(name).Option(missingkey).Funcs(funcs).Parse(text)}.
     *
     * @throws GoTemplateException what Go's parser would refuse, with the line
     */
    public static TextTemplate parse(String name, String text, Map<String, Function> funcs, MissingKey missingKey) {
        Map<String, Function> all = new HashMap<>(Builtins.FUNCTIONS);
        all.putAll(funcs);
        Map<String, ListNode> trees = new LinkedHashMap<>();
        Set<String> names = all.keySet();
        Parser.parse(name, text, names, trees);
        return new TextTemplate(name, trees, Map.copyOf(all), missingKey);
    }

    /**
     * Executes the template on {@code data} (see {@link GoValues} for how Go values are held).
     *
     * @param maxBytes the output at most, as Tinkerbell caps it; beyond it the execution fails
     * @throws GoTemplateException what Go's execution would fail with, with the line
     */
    public String execute(Object data, int maxBytes) {
        StringBuilder out = new StringBuilder();
        new Exec(name, trees, functions, missingKey, out, maxBytes).run(data);
        return out.toString();
    }
}
