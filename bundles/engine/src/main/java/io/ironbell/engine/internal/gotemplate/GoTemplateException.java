package io.ironbell.engine.internal.gotemplate;

/** A template that Go's text/template would refuse to parse or fail to execute, with the line. */
public final class GoTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String template;
    private final int line;
    private final String reason;

    GoTemplateException(String template, int line, String reason) {
        super("template: " + template + ":" + line + ": " + reason);
        this.template = template;
        this.line = line;
        this.reason = reason;
    }

    /** The name of the template (or defined template) the error is in. */
    public String template() {
        return template;
    }

    /** The line, counted from 1. */
    public int line() {
        return line;
    }

    /** What is wrong, without the template's name and line. */
    public String reason() {
        return reason;
    }
}
