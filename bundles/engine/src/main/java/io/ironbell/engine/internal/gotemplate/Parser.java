package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.Lexer.Token;
import io.ironbell.engine.internal.gotemplate.Lexer.Type;
import io.ironbell.engine.internal.gotemplate.Node.BoolNode;
import io.ironbell.engine.internal.gotemplate.Node.Branch;
import io.ironbell.engine.internal.gotemplate.Node.BranchNode;
import io.ironbell.engine.internal.gotemplate.Node.BreakNode;
import io.ironbell.engine.internal.gotemplate.Node.ChainNode;
import io.ironbell.engine.internal.gotemplate.Node.CommandNode;
import io.ironbell.engine.internal.gotemplate.Node.ContinueNode;
import io.ironbell.engine.internal.gotemplate.Node.DotNode;
import io.ironbell.engine.internal.gotemplate.Node.ElseNode;
import io.ironbell.engine.internal.gotemplate.Node.EndNode;
import io.ironbell.engine.internal.gotemplate.Node.FieldNode;
import io.ironbell.engine.internal.gotemplate.Node.IdentifierNode;
import io.ironbell.engine.internal.gotemplate.Node.ListNode;
import io.ironbell.engine.internal.gotemplate.Node.NilNode;
import io.ironbell.engine.internal.gotemplate.Node.NumberNode;
import io.ironbell.engine.internal.gotemplate.Node.PipeNode;
import io.ironbell.engine.internal.gotemplate.Node.StringNode;
import io.ironbell.engine.internal.gotemplate.Node.TemplateNode;
import io.ironbell.engine.internal.gotemplate.Node.TextNode;
import io.ironbell.engine.internal.gotemplate.Node.VariableNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Go's text/template parser: the tokens of {@link Lexer} into trees, one per template ({@code
 * define} and {@code block} add more), with Go's checks at parse time: functions must exist,
 * variables must be declared, {@code break} and {@code continue} only inside {@code range}, no
 * constant as a later pipeline stage, no template defined twice.
 */
final class Parser {

    private final String name;
    private final List<Token> tokens;
    private final Set<String> functions;
    private final Map<String, ListNode> trees;
    private int index;
    private List<String> vars = new ArrayList<>(List.of("$"));
    private int rangeDepth;
    private int actionLine;

    private Parser(String name, List<Token> tokens, Set<String> functions, Map<String, ListNode> trees) {
        this.name = name;
        this.tokens = tokens;
        this.functions = functions;
        this.trees = trees;
    }

    /**
     * Parses {@code text} as the template {@code name}; it and the templates it defines go into
     * {@code trees}.
     */
    static void parse(String name, String text, Set<String> functions, Map<String, ListNode> trees) {
        Parser p = new Parser(name, Lexer.lex(text), functions, trees);
        ListNode root = p.parseRoot();
        p.add(name, root);
    }

    private GoTemplateException error(String message) {
        int line = actionLine != 0 ? actionLine : index > 0 ? tokens.get(Math.min(index, tokens.size()) - 1).line() : 1;
        return new GoTemplateException(name, line, message);
    }

    private Token next() {
        Token t = tokens.get(index++);
        if (t.type() == Type.ERROR) {
            throw new GoTemplateException(name, t.line(), t.text());
        }
        return t;
    }

    private void backup() {
        index--;
    }

    private Token peek() {
        Token t = next();
        backup();
        return t;
    }

    private Token nextNonSpace() {
        Token t;
        do {
            t = next();
        } while (t.type() == Type.SPACE);
        return t;
    }

    private Token peekNonSpace() {
        Token t = nextNonSpace();
        backup();
        return t;
    }

    private Token expect(Type expected, String context) {
        Token t = nextNonSpace();
        if (t.type() != expected) {
            throw unexpected(t, context);
        }
        return t;
    }

    private GoTemplateException unexpected(Token t, String context) {
        if (t.type() == Type.ERROR) {
            return new GoTemplateException(name, t.line(), t.text());
        }
        return error("unexpected " + t + " in " + context);
    }

    private void add(String treeName, ListNode root) {
        ListNode existing = trees.get(treeName);
        if (existing == null || isEmpty(existing)) {
            trees.put(treeName, root);
            return;
        }
        if (!isEmpty(root)) {
            throw error("template: multiple definition of template " + GoFmt.quote(treeName));
        }
    }

    /** Go's IsEmptyTree: only spaces and comments. */
    static boolean isEmpty(Node n) {
        if (n instanceof ListNode l) {
            for (Node c : l.nodes()) {
                if (!isEmpty(c)) {
                    return false;
                }
            }
            return true;
        }
        if (n instanceof TextNode t) {
            return t.text().isBlank() && t.text().chars().allMatch(c -> c == ' ' || c == '\t' || c == '\n' || c == '\r'
                    || c == 0x0b || c == 0x0c || c == 0x85 || c == 0xa0);
        }
        return false;
    }

    private ListNode parseRoot() {
        List<Node> nodes = new ArrayList<>();
        int line = peek().line();
        while (peek().type() != Type.EOF) {
            if (peek().type() == Type.LEFT_DELIM) {
                int delim = index;
                next();
                if (nextNonSpace().type() == Type.DEFINE) {
                    parseDefinition();
                    continue;
                }
                index = delim;
            }
            Node n = textOrAction();
            if (n instanceof EndNode || n instanceof ElseNode) {
                throw error("unexpected " + describe(n));
            }
            nodes.add(n);
        }
        return new ListNode(line, nodes);
    }

    private static String describe(Node n) {
        return n instanceof EndNode ? "{{end}}" : n instanceof ElseNode ? "{{else}}" : n.toString();
    }

    private void parseDefinition() {
        String context = "define clause";
        Token nameToken = nextNonSpace();
        if (nameToken.type() != Type.STRING && nameToken.type() != Type.RAW_STRING) {
            throw unexpected(nameToken, context);
        }
        String defined = GoStrings.unquote(nameToken.text(), this::error);
        expect(Type.RIGHT_DELIM, context);
        add(defined, definitionBody(context));
    }

    /** The body of a define or block up to its end: a template of its own, with only $ declared. */
    private ListNode definitionBody(String context) {
        List<String> saved = vars;
        int savedDepth = rangeDepth;
        vars = new ArrayList<>(List.of("$"));
        rangeDepth = 0;
        Object[] listAndEnd = itemList();
        vars = saved;
        rangeDepth = savedDepth;
        if (!(listAndEnd[1] instanceof EndNode)) {
            throw error("unexpected " + describe((Node) listAndEnd[1]) + " in " + context);
        }
        return (ListNode) listAndEnd[0];
    }

    /** The nodes up to an {@code end} or {@code else}: {list, that node}. */
    private Object[] itemList() {
        List<Node> nodes = new ArrayList<>();
        int line = peekNonSpace().line();
        while (peekNonSpace().type() != Type.EOF) {
            Node n = textOrAction();
            if (n instanceof EndNode || n instanceof ElseNode) {
                return new Object[] {new ListNode(line, nodes), n};
            }
            nodes.add(n);
        }
        throw error("unexpected EOF");
    }

    private Node textOrAction() {
        Token t = nextNonSpace();
        switch (t.type()) {
            case TEXT:
                return new TextNode(t.line(), t.text());
            case LEFT_DELIM:
                actionLine = t.line();
                try {
                    return action();
                } finally {
                    actionLine = 0;
                }
            default:
                throw unexpected(t, "input");
        }
    }

    private Node action() {
        Token t = nextNonSpace();
        switch (t.type()) {
            case BLOCK:
                return blockControl();
            case BREAK:
                return loopControl(t, "{{break}}", new BreakNode(t.line()));
            case CONTINUE:
                return loopControl(t, "{{continue}}", new ContinueNode(t.line()));
            case ELSE:
                return elseControl();
            case END:
                return new EndNode(expect(Type.RIGHT_DELIM, "end").line());
            case IF:
                return control(true, Branch.IF, "if");
            case RANGE:
                return control(false, Branch.RANGE, "range");
            case TEMPLATE:
                return templateControl();
            case WITH:
                return control(false, Branch.WITH, "with");
            default:
                backup();
                Token first = peek();
                return new Node.ActionNode(first.line(), pipeline("command", Type.RIGHT_DELIM));
        }
    }

    private Node loopControl(Token t, String context, Node node) {
        Token after = nextNonSpace();
        if (after.type() != Type.RIGHT_DELIM) {
            throw unexpected(after, context);
        }
        if (rangeDepth == 0) {
            throw error(context + " outside {{range}}");
        }
        return node;
    }

    private PipeNode pipeline(String context, Type end) {
        int line = peekNonSpace().line();
        List<VariableNode> decl = new ArrayList<>();
        boolean assign = false;
        decls:
        while (true) {
            Token v = peekNonSpace();
            if (v.type() != Type.VARIABLE) {
                break;
            }
            int before = index;
            nextNonSpace();
            Token afterVariable = peek();
            Token n = peekNonSpace();
            if (n.type() == Type.ASSIGN || n.type() == Type.DECLARE) {
                assign = n.type() == Type.ASSIGN;
                nextNonSpace();
                decl.add(new VariableNode(v.line(), List.of(v.text())));
                vars.add(v.text());
                break;
            } else if (n.type() == Type.CHAR && n.text().equals(",")) {
                nextNonSpace();
                decl.add(new VariableNode(v.line(), List.of(v.text())));
                vars.add(v.text());
                if (context.equals("range") && decl.size() < 2) {
                    Type peeked = peekNonSpace().type();
                    if (peeked == Type.VARIABLE || peeked == Type.RIGHT_DELIM || peeked == Type.RIGHT_PAREN) {
                        continue decls;
                    }
                    throw error("range can only initialize variables");
                }
                throw error("too many declarations in " + context);
            } else if (afterVariable.type() == Type.SPACE) {
                index = before;
                break;
            } else {
                index = before;
                break;
            }
        }
        List<CommandNode> cmds = new ArrayList<>();
        while (true) {
            Token t = nextNonSpace();
            if (t.type() == end) {
                if (cmds.isEmpty()) {
                    throw error("missing value for " + context);
                }
                for (int i = 1; i < cmds.size(); i++) {
                    Node first = cmds.get(i).args().get(0);
                    if (first instanceof BoolNode || first instanceof DotNode || first instanceof NilNode || first instanceof NumberNode
                            || first instanceof StringNode) {
                        throw error("non executable command in pipeline stage " + (i + 1));
                    }
                }
                return new PipeNode(line, assign, decl, cmds);
            }
            switch (t.type()) {
                case BOOL, CHAR_CONSTANT, COMPLEX, DOT, FIELD, IDENTIFIER, NUMBER, NIL, RAW_STRING, STRING, VARIABLE, LEFT_PAREN -> {
                    backup();
                    cmds.add(command());
                }
                default -> throw unexpected(t, context);
            }
        }
    }

    private Node control(boolean allowElseIf, Branch kind, String context) {
        int depth = vars.size();
        try {
            PipeNode pipe = pipeline(context, Type.RIGHT_DELIM);
            if (kind == Branch.RANGE) {
                rangeDepth++;
            }
            Object[] listAndNext = itemList();
            if (kind == Branch.RANGE) {
                rangeDepth--;
            }
            ListNode elseList = null;
            Node next = (Node) listAndNext[1];
            if (next instanceof ElseNode e) {
                if (allowElseIf && peek().type() == Type.IF) {
                    next();
                    elseList = new ListNode(e.line(), List.of(control(true, Branch.IF, "if")));
                } else {
                    Object[] elseAndEnd = itemList();
                    if (!(elseAndEnd[1] instanceof EndNode)) {
                        throw error("expected end; found " + describe((Node) elseAndEnd[1]));
                    }
                    elseList = (ListNode) elseAndEnd[0];
                }
            }
            return new BranchNode(pipe.line(), kind, pipe, (ListNode) listAndNext[0], elseList);
        } finally {
            vars = new ArrayList<>(vars.subList(0, depth));
        }
    }

    private Node elseControl() {
        Token peeked = peekNonSpace();
        if (peeked.type() == Type.IF) {
            return new ElseNode(peeked.line());
        }
        return new ElseNode(expect(Type.RIGHT_DELIM, "else").line());
    }

    private Node blockControl() {
        String context = "block clause";
        Token t = nextNonSpace();
        String blockName = templateName(t, context);
        PipeNode pipe = pipeline(context, Type.RIGHT_DELIM);
        add(blockName, definitionBody(context));
        return new TemplateNode(t.line(), blockName, pipe);
    }

    private Node templateControl() {
        String context = "template clause";
        Token t = nextNonSpace();
        String templateName = templateName(t, context);
        PipeNode pipe = null;
        if (nextNonSpace().type() != Type.RIGHT_DELIM) {
            backup();
            pipe = pipeline(context, Type.RIGHT_DELIM);
        }
        return new TemplateNode(t.line(), templateName, pipe);
    }

    private String templateName(Token t, String context) {
        if (t.type() == Type.STRING || t.type() == Type.RAW_STRING) {
            return GoStrings.unquote(t.text(), this::error);
        }
        throw unexpected(t, context);
    }

    private CommandNode command() {
        int line = peekNonSpace().line();
        List<Node> args = new ArrayList<>();
        while (true) {
            peekNonSpace();
            Node operand = operand();
            if (operand != null) {
                args.add(operand);
            }
            Token t = next();
            if (t.type() == Type.SPACE) {
                continue;
            }
            if (t.type() == Type.RIGHT_DELIM || t.type() == Type.RIGHT_PAREN) {
                backup();
            } else if (t.type() != Type.PIPE) {
                throw unexpected(t, "operand");
            }
            break;
        }
        if (args.isEmpty()) {
            throw error("empty command");
        }
        return new CommandNode(line, args);
    }

    private Node operand() {
        Node node = term();
        if (node == null) {
            return null;
        }
        if (peek().type() == Type.FIELD) {
            List<String> fields = new ArrayList<>();
            while (peek().type() == Type.FIELD) {
                fields.add(next().text().substring(1));
            }
            if (node instanceof FieldNode f) {
                List<String> all = new ArrayList<>(f.ident());
                all.addAll(fields);
                node = new FieldNode(f.line(), all);
            } else if (node instanceof VariableNode v) {
                List<String> all = new ArrayList<>(v.ident());
                all.addAll(fields);
                node = new VariableNode(v.line(), all);
            } else if (node instanceof BoolNode || node instanceof StringNode || node instanceof NumberNode || node instanceof NilNode
                    || node instanceof DotNode) {
                throw error("unexpected . after term " + GoFmt.quote(text(node)));
            } else {
                node = new ChainNode(node.line(), node, fields);
            }
        }
        return node;
    }

    private static String text(Node n) {
        if (n instanceof BoolNode b) {
            return Boolean.toString(b.value());
        } else if (n instanceof StringNode s) {
            return s.quoted();
        } else if (n instanceof NumberNode num) {
            return num.text();
        } else if (n instanceof NilNode) {
            return "nil";
        }
        return ".";
    }

    private Node term() {
        Token t = nextNonSpace();
        switch (t.type()) {
            case IDENTIFIER:
                if (!functions.contains(t.text())) {
                    throw error("function " + GoFmt.quote(t.text()) + " not defined");
                }
                return new IdentifierNode(t.line(), t.text());
            case DOT:
                return new DotNode(t.line());
            case NIL:
                return new NilNode(t.line());
            case VARIABLE:
                return useVar(t);
            case FIELD:
                return new FieldNode(t.line(), splitFields(t.text()));
            case BOOL:
                return new BoolNode(t.line(), t.text().equals("true"));
            case CHAR_CONSTANT, COMPLEX, NUMBER:
                return number(t);
            case LEFT_PAREN:
                return pipeline("parenthesized pipeline", Type.RIGHT_PAREN);
            case STRING, RAW_STRING:
                return new StringNode(t.line(), t.text(), GoStrings.unquote(t.text(), this::error));
            default:
                backup();
                return null;
        }
    }

    private static List<String> splitFields(String text) {
        return List.of(text.substring(1).split("\\.", -1));
    }

    private Node useVar(Token t) {
        List<String> ident = List.of(t.text().split("\\.", -1));
        if (!vars.contains(ident.get(0))) {
            throw error("undefined variable " + GoFmt.quote(ident.get(0)));
        }
        return new VariableNode(t.line(), ident);
    }

    private NumberNode number(Token t) {
        String text = t.text();
        if (t.type() == Type.CHAR_CONSTANT) {
            int[] rune = GoStrings.unquoteChar(text, this::error);
            return new NumberNode(t.line(), text, true, true, true, rune[0], rune[0], rune[0]);
        }
        if (t.type() == Type.COMPLEX || text.endsWith("i")) {
            throw error("complex number constants are not supported: " + text);
        }
        boolean isUint = false;
        boolean isInt = false;
        boolean isFloat = false;
        long u = 0;
        long i = 0;
        double f = 0;
        BigInteger parsed = GoStrings.parseInteger(text);
        if (parsed != null) {
            if (parsed.signum() >= 0 && parsed.bitLength() <= 64) {
                isUint = true;
                u = parsed.longValue();
            }
            if (parsed.bitLength() <= 63) {
                isInt = true;
                i = parsed.longValue();
                if (i == 0) {
                    isUint = true;
                    u = 0;
                }
            }
        }
        if (isInt) {
            isFloat = true;
            f = i;
        } else if (isUint) {
            isFloat = true;
            f = GoStrings.unsignedToDouble(u);
        } else {
            Double parsedFloat = GoStrings.parseFloat(text);
            if (parsedFloat != null) {
                if (!text.matches(".*[.eEpP].*")) {
                    throw error("integer overflow: " + GoFmt.quote(text));
                }
                isFloat = true;
                f = parsedFloat;
                if (!Double.isInfinite(f) && f == Math.rint(f) && Math.abs(f) < 9.223372036854775807E18) {
                    isInt = true;
                    i = (long) f;
                }
                if (!Double.isInfinite(f) && f == Math.rint(f) && f >= 0 && f < 1.8446744073709552E19) {
                    isUint = true;
                    u = new java.math.BigDecimal(f).toBigInteger().longValue();
                }
            }
        }
        if (!isInt && !isUint && !isFloat) {
            throw error("illegal number syntax: " + GoFmt.quote(text));
        }
        return new NumberNode(t.line(), text, isInt, isUint, isFloat, i, u, f);
    }
}
