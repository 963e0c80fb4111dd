package io.ironbell.engine.internal.gotemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens exactly as Go's text/template/parse lexer does: text, actions
 * between "{{" and "}}" with their trim markers ("{{- " and " -}}"), comments, and inside actions
 * fields, variables, identifiers, keywords, strings, raw strings, characters and numbers.
 */
final class Lexer {

    enum Type {
        ERROR, BOOL, CHAR, CHAR_CONSTANT, COMPLEX, ASSIGN, DECLARE, EOF, FIELD, IDENTIFIER, LEFT_DELIM, LEFT_PAREN, NUMBER, PIPE,
        RAW_STRING, RIGHT_DELIM, RIGHT_PAREN, SPACE, STRING, TEXT, VARIABLE,
        // keywords
        BLOCK, BREAK, CONTINUE, DOT, DEFINE, ELSE, END, IF, NIL, RANGE, TEMPLATE, WITH
    }

    /** A token: its type, its text and the line it starts on. */
    record Token(Type type, String text, int line) {
        @Override
        public String toString() {
            return switch (type) {
                case EOF -> "EOF";
                case ERROR -> text;
                default -> type.ordinal() >= Type.BLOCK.ordinal() ? "<" + text + ">" : text.length() > 10 ? GoFmt.quote(text.substring(0, 10)) + "..." : GoFmt.quote(text);
            };
        }
    }

    private static final String LEFT = "{{";
    private static final String RIGHT = "}}";

    private final String input;
    private final boolean breakOk;
    private final boolean continueOk;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int start;
    private int line = 1;
    private int startLine = 1;
    private int parenDepth;
    private boolean atEof;

    private Lexer(String input, boolean breakOk, boolean continueOk) {
        this.input = input;
        this.breakOk = breakOk;
        this.continueOk = continueOk;
    }

    /** The tokens of {@code input}, ending with EOF or with the first ERROR. */
    static List<Token> lex(String input) {
        Lexer l = new Lexer(input, true, true);
        l.run();
        return l.tokens;
    }

    private void run() {
        State state = this::lexText;
        while (state != null) {
            state = state.next();
        }
    }

    @FunctionalInterface
    private interface State {
        State next();
    }

    private static final int EOF_RUNE = -1;

    private int next() {
        if (pos >= input.length()) {
            atEof = true;
            return EOF_RUNE;
        }
        int r = input.codePointAt(pos);
        pos += Character.charCount(r);
        if (r == '\n') {
            line++;
        }
        return r;
    }

    private int peek() {
        int r = next();
        backup();
        return r;
    }

    private void backup() {
        if (!atEof && pos > 0) {
            int r = input.codePointBefore(pos);
            pos -= Character.charCount(r);
            if (r == '\n') {
                line--;
            }
        }
    }

    private void emit(Type t) {
        tokens.add(new Token(t, input.substring(start, pos), startLine));
        start = pos;
        startLine = line;
    }

    private void ignore() {
        line += count(input.substring(start, pos));
        start = pos;
        startLine = line;
    }

    private static int count(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private boolean accept(String valid) {
        int r = next();
        if (r != EOF_RUNE && valid.indexOf(r) >= 0) {
            return true;
        }
        backup();
        return false;
    }

    private void acceptRun(String valid) {
        while (true) {
            int r = next();
            if (r == EOF_RUNE || valid.indexOf(r) < 0) {
                break;
            }
        }
        backup();
    }

    private State errorf(String message) {
        tokens.add(new Token(Type.ERROR, message, startLine));
        return null;
    }

    private State lexText() {
        int x = input.indexOf(LEFT, pos);
        if (x >= 0) {
            pos = x;
            int trimLength = 0;
            if (hasLeftTrimMarker(input, pos + LEFT.length())) {
                trimLength = rightTrimLength(input.substring(start, pos));
            }
            pos -= trimLength;
            if (pos > start) {
                line += count(input.substring(start, pos));
                emit(Type.TEXT);
            }
            pos += trimLength;
            ignore();
            return this::lexLeftDelim;
        }
        pos = input.length();
        if (pos > start) {
            line += count(input.substring(start, pos));
            emit(Type.TEXT);
        }
        emit(Type.EOF);
        return null;
    }

    private static boolean isSpace(int r) {
        return r == ' ' || r == '\t' || r == '\r' || r == '\n';
    }

    static boolean isAlphaNumeric(int r) {
        return r == '_' || Character.isLetter(r) || Character.isDigit(r);
    }

    private static boolean hasLeftTrimMarker(String s, int at) {
        return s.length() - at >= 2 && s.charAt(at) == '-' && isSpace(s.charAt(at + 1));
    }

    private static boolean hasRightTrimMarker(String s, int at) {
        return s.length() - at >= 2 && isSpace(s.charAt(at)) && s.charAt(at + 1) == '-';
    }

    private static int rightTrimLength(String s) {
        int i = s.length();
        while (i > 0 && isSpace(s.charAt(i - 1))) {
            i--;
        }
        return s.length() - i;
    }

    private int leftTrimLength(int at) {
        int i = at;
        while (i < input.length() && isSpace(input.charAt(i))) {
            i++;
        }
        return i - at;
    }

    /** Whether the input at pos is the right delimiter, and whether with a trim marker. */
    private boolean[] atRightDelim() {
        if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) {
            return new boolean[] {true, true};
        }
        if (input.startsWith(RIGHT, pos)) {
            return new boolean[] {true, false};
        }
        return new boolean[] {false, false};
    }

    private State lexLeftDelim() {
        pos += LEFT.length();
        boolean trimSpace = hasLeftTrimMarker(input, pos);
        int afterMarker = trimSpace ? 2 : 0;
        if (input.startsWith("/*", pos + afterMarker)) {
            pos += afterMarker;
            ignore();
            return this::lexComment;
        }
        emit(Type.LEFT_DELIM);
        pos += afterMarker;
        ignore();
        parenDepth = 0;
        return this::lexInsideAction;
    }

    private State lexComment() {
        pos += 2;
        int i = input.indexOf("*/", pos);
        if (i < 0) {
            return errorf("unclosed comment");
        }
        pos = i + 2;
        boolean[] delim = atRightDelim();
        if (!delim[0]) {
            return errorf("comment ends before closing delimiter");
        }
        if (delim[1]) {
            pos += 2;
        }
        pos += RIGHT.length();
        if (delim[1]) {
            pos += leftTrimLength(pos);
        }
        ignore();
        return this::lexText;
    }

    private State lexRightDelim() {
        boolean trimSpace = hasRightTrimMarker(input, pos);
        if (trimSpace) {
            pos += 2;
            ignore();
        }
        pos += RIGHT.length();
        emit(Type.RIGHT_DELIM);
        if (trimSpace) {
            pos += leftTrimLength(pos);
            ignore();
        }
        return this::lexText;
    }

    private State lexInsideAction() {
        if (atRightDelim()[0]) {
            if (parenDepth == 0) {
                return this::lexRightDelim;
            }
            return errorf("unclosed left paren");
        }
        int r = next();
        if (r == EOF_RUNE) {
            return errorf("unclosed action");
        } else if (isSpace(r)) {
            backup();
            return this::lexSpace;
        } else if (r == '=') {
            emit(Type.ASSIGN);
        } else if (r == ':') {
            if (next() != '=') {
                return errorf("expected :=");
            }
            emit(Type.DECLARE);
        } else if (r == '|') {
            emit(Type.PIPE);
        } else if (r == '"') {
            return this::lexQuote;
        } else if (r == '`') {
            return this::lexRawQuote;
        } else if (r == '$') {
            return this::lexVariable;
        } else if (r == '\'') {
            return this::lexChar;
        } else if (r == '.' && pos < input.length() && (input.charAt(pos) < '0' || '9' < input.charAt(pos))) {
            return this::lexField;
        } else if (r == '.' || r == '+' || r == '-' || ('0' <= r && r <= '9')) {
            backup();
            return this::lexNumber;
        } else if (isAlphaNumeric(r)) {
            backup();
            return this::lexIdentifier;
        } else if (r == '(') {
            emit(Type.LEFT_PAREN);
            parenDepth++;
        } else if (r == ')') {
            emit(Type.RIGHT_PAREN);
            parenDepth--;
            if (parenDepth < 0) {
                return errorf("unexpected right paren " + GoFmt.unicode(r));
            }
        } else if (r <= 127 && r >= 0x20 && r != 0x7f) {
            emit(Type.CHAR);
        } else {
            return errorf("unrecognized character in action: " + GoFmt.unicode(r));
        }
        return this::lexInsideAction;
    }

    private State lexSpace() {
        int numSpaces = 0;
        while (isSpace(peek())) {
            next();
            numSpaces++;
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + 2)) {
            backup();
            if (numSpaces == 1) {
                return this::lexRightDelim;
            }
        }
        emit(Type.SPACE);
        return this::lexInsideAction;
    }

    private State lexIdentifier() {
        while (true) {
            int r = next();
            if (isAlphaNumeric(r)) {
                continue;
            }
            backup();
            String word = input.substring(start, pos);
            if (!atTerminator()) {
                return errorf("bad character " + GoFmt.unicode(r));
            }
            Type keyword = keyword(word);
            if (keyword != null) {
                if (keyword == Type.BREAK && !breakOk || keyword == Type.CONTINUE && !continueOk) {
                    emit(Type.IDENTIFIER);
                } else {
                    emit(keyword);
                }
            } else if (word.charAt(0) == '.') {
                emit(Type.FIELD);
            } else if (word.equals("true") || word.equals("false")) {
                emit(Type.BOOL);
            } else {
                emit(Type.IDENTIFIER);
            }
            return this::lexInsideAction;
        }
    }

    private static Type keyword(String word) {
        return switch (word) {
            case "." -> Type.DOT;
            case "block" -> Type.BLOCK;
            case "break" -> Type.BREAK;
            case "continue" -> Type.CONTINUE;
            case "define" -> Type.DEFINE;
            case "else" -> Type.ELSE;
            case "end" -> Type.END;
            case "if" -> Type.IF;
            case "range" -> Type.RANGE;
            case "nil" -> Type.NIL;
            case "template" -> Type.TEMPLATE;
            case "with" -> Type.WITH;
            default -> null;
        };
    }

    private State lexField() {
        return lexFieldOrVariable(Type.FIELD);
    }

    private State lexVariable() {
        if (atTerminator()) {
            emit(Type.VARIABLE);
            return this::lexInsideAction;
        }
        return lexFieldOrVariable(Type.VARIABLE);
    }

    private State lexFieldOrVariable(Type type) {
        if (atTerminator()) {
            emit(type == Type.VARIABLE ? Type.VARIABLE : Type.DOT);
            return this::lexInsideAction;
        }
        int r;
        while (true) {
            r = next();
            if (!isAlphaNumeric(r)) {
                backup();
                break;
            }
        }
        if (!atTerminator()) {
            return errorf("bad character " + GoFmt.unicode(r));
        }
        emit(type);
        return this::lexInsideAction;
    }

    private boolean atTerminator() {
        int r = peek();
        if (isSpace(r)) {
            return true;
        }
        switch (r) {
            case EOF_RUNE, '.', ',', '|', ':', ')', '(':
                return true;
            default:
                return input.startsWith(RIGHT, pos);
        }
    }

    private State lexChar() {
        return lexQuoted('\'', Type.CHAR_CONSTANT, "unterminated character constant");
    }

    private State lexNumber() {
        if (!scanNumber()) {
            return errorf("bad number syntax: " + GoFmt.quote(input.substring(start, pos)));
        }
        int sign = peek();
        if (sign == '+' || sign == '-') {
            if (!scanNumber() || input.charAt(pos - 1) != 'i') {
                return errorf("bad number syntax: " + GoFmt.quote(input.substring(start, pos)));
            }
            emit(Type.COMPLEX);
        } else {
            emit(Type.NUMBER);
        }
        return this::lexInsideAction;
    }

    private boolean scanNumber() {
        accept("+-");
        String digits = "0123456789_";
        if (accept("0")) {
            if (accept("xX")) {
                digits = "0123456789abcdefABCDEF_";
            } else if (accept("oO")) {
                digits = "01234567_";
            } else if (accept("bB")) {
                digits = "01_";
            }
        }
        acceptRun(digits);
        if (accept(".")) {
            acceptRun(digits);
        }
        if (digits.length() == 11 && accept("eE")) {
            accept("+-");
            acceptRun("0123456789_");
        }
        if (digits.length() == 23 && accept("pP")) {
            accept("+-");
            acceptRun("0123456789_");
        }
        accept("i");
        if (isAlphaNumeric(peek())) {
            next();
            return false;
        }
        return true;
    }

    private State lexQuote() {
        return lexQuoted('"', Type.STRING, "unterminated quoted string");
    }

    /** A quoted string or character constant: escapes skipped, a newline or the end of input refused. */
    private State lexQuoted(char quote, Type type, String unterminated) {
        while (true) {
            int r = next();
            if (r == '\\') {
                int e = next();
                if (e != EOF_RUNE && e != '\n') {
                    continue;
                }
                return errorf(unterminated);
            }
            if (r == EOF_RUNE || r == '\n') {
                return errorf(unterminated);
            }
            if (r == quote) {
                break;
            }
        }
        emit(type);
        return this::lexInsideAction;
    }

    private State lexRawQuote() {
        while (true) {
            int r = next();
            if (r == EOF_RUNE) {
                return errorf("unterminated raw quoted string");
            }
            if (r == '`') {
                break;
            }
        }
        emit(Type.RAW_STRING);
        return this::lexInsideAction;
    }
}
