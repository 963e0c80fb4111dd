package io.ironbell.api.template;

/**
 * A template was refused: its YAML, a template expression in it, or its structure. The
 * message starts with the line and names the field, e.g.
 * {@code line 12: tasks[0].actions[1].name: must be unique within the task}.
 */
public class TemplateException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final String field;

    /**
     * @param line   1-based line of the problem, or 0 when unknown
     * @param field  the field's path ({@code tasks[0].name}), or {@code null}
     * @param reason what is wrong
     */
    public TemplateException(int line, String field, String reason) {
        super((line > 0 ? "line " + line + ": " : "") + (field != null ? field + ": " : "") + reason);
        this.line = line;
        this.field = field;
    }

    /** The 1-based line, or 0. */
    public int line() {
        return line;
    }

    /** The field's path, or {@code null}. */
    public String field() {
        return field;
    }
}
