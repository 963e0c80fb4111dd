package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.FunctionError;
import io.ironbell.engine.internal.gotemplate.GoValues.GoNumber;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;
import io.ironbell.engine.internal.gotemplate.Node.ActionNode;
import io.ironbell.engine.internal.gotemplate.Node.BoolNode;
import io.ironbell.engine.internal.gotemplate.Node.Branch;
import io.ironbell.engine.internal.gotemplate.Node.BranchNode;
import io.ironbell.engine.internal.gotemplate.Node.BreakNode;
import io.ironbell.engine.internal.gotemplate.Node.ChainNode;
import io.ironbell.engine.internal.gotemplate.Node.CommandNode;
import io.ironbell.engine.internal.gotemplate.Node.ContinueNode;
import io.ironbell.engine.internal.gotemplate.Node.DotNode;
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
import io.ironbell.engine.internal.gotemplate.TextTemplate.MissingKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The execution of a template, as Go's text/template exec.go walks the tree. */
final class Exec {

    /** reflect.Value{}: no value at all (a missing key, a nil interface after a pipeline). */
    static final Object NO_VALUE = new Object() {
        @Override
        public String toString() {
            return "<no value>";
        }
    };

    /** A reflect.Value handed to a builtin as such: it may be {@link #NO_VALUE}. */
    private static final String REFLECT_VALUE = "reflect.Value";

    private static final int MAX_DEPTH = 100_000;

    private final String name;
    private final Map<String, ListNode> trees;
    private final Map<String, Function> functions;
    private final MissingKey missingKey;
    private final StringBuilder out;
    private final int maxBytes;
    private String current;
    private int line;
    private int depth;
    private final List<String> varNames = new ArrayList<>();
    private final List<Object> varValues = new ArrayList<>();

    private static final class Break extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Break() {
            super(null, null, false, false);
        }
    }

    private static final class Continue extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Continue() {
            super(null, null, false, false);
        }
    }

    Exec(String name, Map<String, ListNode> trees, Map<String, Function> functions, MissingKey missingKey, StringBuilder out, int maxBytes) {
        this.name = name;
        this.trees = trees;
        this.functions = functions;
        this.missingKey = missingKey;
        this.out = out;
        this.maxBytes = maxBytes;
        this.current = name;
    }

    void run(Object data) {
        ListNode root = trees.get(name);
        if (root == null) {
            throw new GoTemplateException(name, 0, GoFmt.quote(name) + " is an incomplete or empty template");
        }
        Object dot = data == null ? NO_VALUE : data;
        varNames.add("$");
        varValues.add(dot);
        walk(dot, root);
    }

    private GoTemplateException error(String message) {
        // Go names the node and its column here; Ironbell's nodes know their line only
        return new GoTemplateException(current, line, "executing " + GoFmt.quote(current) + ": " + message);
    }

    private void write(String s) {
        if (out.length() + s.length() > maxBytes) {
            throw error("the rendered template is larger than " + maxBytes + " bytes");
        }
        out.append(s);
    }

    private int mark() {
        return varNames.size();
    }

    private void pop(int mark) {
        while (varNames.size() > mark) {
            varNames.remove(varNames.size() - 1);
            varValues.remove(varValues.size() - 1);
        }
    }

    private void push(String n, Object v) {
        varNames.add(n);
        varValues.add(v);
    }

    private void setVar(String n, Object v) {
        for (int i = varNames.size() - 1; i >= 0; i--) {
            if (varNames.get(i).equals(n)) {
                varValues.set(i, v);
                return;
            }
        }
        throw error("undefined variable: " + n);
    }

    private void setTopVar(int n, Object v) {
        varValues.set(varValues.size() - n, v);
    }

    private Object varValue(String n) {
        for (int i = varNames.size() - 1; i >= 0; i--) {
            if (varNames.get(i).equals(n)) {
                return varValues.get(i);
            }
        }
        throw error("undefined variable: " + n);
    }

    private void walk(Object dot, Node node) {
        line = node.line();
        if (node instanceof ActionNode a) {
            Object val = evalPipeline(dot, a.pipe());
            if (a.pipe().decl().isEmpty()) {
                line = a.line();
                String text = printable(val);
                if (text == null) {
                    throw error("can't print " + describe(a.pipe().cmds().get(0).args().get(0)) + " of type " + GoValues.typeName(val));
                }
                write(text);
            }
        } else if (node instanceof BreakNode) {
            throw new Break();
        } else if (node instanceof ContinueNode) {
            throw new Continue();
        } else if (node instanceof BranchNode b) {
            if (b.kind() == Branch.RANGE) {
                walkRange(dot, b);
            } else {
                walkIfOrWith(dot, b);
            }
        } else if (node instanceof ListNode l) {
            for (Node n : l.nodes()) {
                walk(dot, n);
            }
        } else if (node instanceof TemplateNode t) {
            walkTemplate(dot, t);
        } else if (node instanceof TextNode t) {
            write(t.text());
        } else {
            throw error("unknown node: " + node);
        }
    }

    private static String printable(Object v) {
        if (v == NO_VALUE) {
            return "<no value>";
        }
        if (v instanceof GoPointer p && p.target() != null) {
            return GoFmt.print(p.target());
        }
        if (v instanceof Function) {
            return null;
        }
        return GoFmt.print(v);
    }

    private void walkIfOrWith(Object dot, BranchNode b) {
        int mark = mark();
        try {
            Object val = evalPipeline(dot, b.pipe());
            boolean truth = GoValues.truth(val == NO_VALUE ? null : val);
            if (truth) {
                walk(b.kind() == Branch.WITH ? val : dot, b.list());
            } else if (b.elseList() != null) {
                walk(dot, b.elseList());
            }
        } finally {
            pop(mark);
        }
    }

    private void walkRange(Object dot, BranchNode r) {
        int outer = mark();
        try {
            Object val = indirect(evalPipeline(dot, r.pipe()));
            int mark = mark();
            boolean ran = false;
            List<?> items = GoValues.items(val);
            try {
                if (items != null) {
                    for (int i = 0; i < items.size(); i++) {
                        ran = true;
                        oneIteration(r, mark, (long) i, items.get(i));
                    }
                } else if (val instanceof Map<?, ?> m) {
                    for (Map.Entry<String, Object> e : GoValues.sorted(m)) {
                        ran = true;
                        oneIteration(r, mark, e.getKey(), e.getValue());
                    }
                } else if (val == NO_VALUE || val == null) {
                    // an invalid value acts like an empty map
                } else {
                    throw error("range can't iterate over " + GoFmt.print(val));
                }
            } catch (Break done) {
                return;
            }
            if (!ran && r.elseList() != null) {
                walk(dot, r.elseList());
            }
        } finally {
            pop(outer);
        }
    }

    private void oneIteration(BranchNode r, int mark, Object index, Object elem) {
        if (!r.pipe().decl().isEmpty()) {
            setTopVar(1, elem);
        }
        if (r.pipe().decl().size() > 1) {
            setTopVar(2, index);
        }
        try {
            walk(elem, r.list());
        } catch (Continue next) {
            // the next element
        } finally {
            pop(mark);
        }
    }

    private void walkTemplate(Object dot, TemplateNode t) {
        ListNode tree = trees.get(t.name());
        if (tree == null) {
            throw error("template " + GoFmt.quote(t.name()) + " not defined");
        }
        if (depth == MAX_DEPTH) {
            throw error("exceeded maximum template depth (" + MAX_DEPTH + ")");
        }
        Object newDot = t.pipe() == null ? NO_VALUE : evalPipeline(dot, t.pipe());
        String savedName = current;
        List<String> savedNames = new ArrayList<>(varNames);
        List<Object> savedValues = new ArrayList<>(varValues);
        varNames.clear();
        varValues.clear();
        varNames.add("$");
        varValues.add(newDot);
        depth++;
        current = t.name();
        try {
            walk(newDot, tree);
        } finally {
            depth--;
            current = savedName;
            varNames.clear();
            varValues.clear();
            varNames.addAll(savedNames);
            varValues.addAll(savedValues);
        }
    }

    private Object evalPipeline(Object dot, PipeNode pipe) {
        if (pipe == null) {
            return NO_VALUE;
        }
        line = pipe.line();
        Object value = MISSING;
        for (CommandNode cmd : pipe.cmds()) {
            value = evalCommand(dot, cmd, value);
            if (value == null) {
                // a nil interface becomes no value at all ("lovely!", says Go's source)
                value = NO_VALUE;
            }
        }
        for (VariableNode v : pipe.decl()) {
            if (pipe.assign()) {
                setVar(v.ident().get(0), value);
            } else {
                push(v.ident().get(0), value);
            }
        }
        return value;
    }

    /** missingVal: no final value passed down the pipeline. */
    private static final Object MISSING = new Object();

    private void notAFunction(List<Node> args, Object fin) {
        if (args != null && args.size() > 1 || fin != MISSING) {
            throw error("can't give argument to non-function " + describe(args.get(0)));
        }
    }

    private static String describe(Node n) {
        if (n instanceof FieldNode f) {
            return "." + String.join(".", f.ident());
        }
        if (n instanceof VariableNode v) {
            return String.join(".", v.ident());
        }
        if (n instanceof StringNode s) {
            return s.quoted();
        }
        if (n instanceof NumberNode num) {
            return num.text();
        }
        if (n instanceof BoolNode b) {
            return Boolean.toString(b.value());
        }
        if (n instanceof DotNode) {
            return ".";
        }
        if (n instanceof NilNode) {
            return "nil";
        }
        if (n instanceof IdentifierNode i) {
            return i.name();
        }
        return n.toString();
    }

    private Object evalCommand(Object dot, CommandNode cmd, Object fin) {
        Node first = cmd.args().get(0);
        if (first instanceof FieldNode f) {
            return evalFieldChain(dot, dot, f.ident(), cmd.args(), fin);
        }
        if (first instanceof ChainNode c) {
            return evalChain(dot, c, cmd.args(), fin);
        }
        if (first instanceof IdentifierNode i) {
            return evalFunction(dot, i, cmd.args(), fin);
        }
        if (first instanceof PipeNode p) {
            notAFunction(cmd.args(), fin);
            return evalPipeline(dot, p);
        }
        if (first instanceof VariableNode v) {
            return evalVariable(dot, v, cmd.args(), fin);
        }
        line = first.line();
        notAFunction(cmd.args(), fin);
        if (first instanceof BoolNode b) {
            return b.value();
        }
        if (first instanceof DotNode) {
            return dot;
        }
        if (first instanceof NilNode) {
            throw error("nil is not a command");
        }
        if (first instanceof NumberNode n) {
            return idealConstant(n);
        }
        if (first instanceof StringNode s) {
            return s.text();
        }
        throw error("can't evaluate command " + GoFmt.quote(describe(first)));
    }

    private Object idealConstant(NumberNode n) {
        String text = n.text();
        boolean hexInt = text.length() > 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X')
                && text.indexOf('p') < 0 && text.indexOf('P') < 0;
        boolean runeInt = text.startsWith("'");
        if (n.isFloat() && !hexInt && !runeInt && text.matches(".*[.eEpP].*")) {
            return n.float64();
        }
        if (n.isInt()) {
            return n.int64();
        }
        if (n.isUint()) {
            throw error(text + " overflows int");
        }
        return NO_VALUE;
    }

    private Object evalChain(Object dot, ChainNode chain, List<Node> args, Object fin) {
        if (chain.node() instanceof NilNode) {
            throw error("indirection through explicit nil in " + describe(chain.node()));
        }
        Object pipe = evalArg(dot, null, chain.node());
        return evalFieldChain(dot, pipe, chain.fields(), args, fin);
    }

    private Object evalVariable(Object dot, VariableNode v, List<Node> args, Object fin) {
        Object value = varValue(v.ident().get(0));
        if (v.ident().size() == 1) {
            notAFunction(args, fin);
            return value;
        }
        return evalFieldChain(dot, value, v.ident().subList(1, v.ident().size()), args, fin);
    }

    private Object evalFieldChain(Object dot, Object receiver, List<String> ident, List<Node> args, Object fin) {
        int n = ident.size();
        for (int i = 0; i < n - 1; i++) {
            receiver = evalField(dot, ident.get(i), null, MISSING, receiver);
        }
        return evalField(dot, ident.get(n - 1), args, fin, receiver);
    }

    private Object evalField(Object dot, String fieldName, List<Node> args, Object fin, Object receiver) {
        if (receiver == NO_VALUE) {
            if (missingKey == MissingKey.ERROR) {
                throw error("nil data; no entry for key " + GoFmt.quote(fieldName));
            }
            return NO_VALUE;
        }
        if (receiver == null) {
            throw error("nil pointer evaluating interface {}." + fieldName);
        }
        String typ = GoValues.typeName(receiver);
        boolean hasArgs = args != null && args.size() > 1 || fin != MISSING;
        Object r = receiver;
        if (r instanceof GoPointer p) {
            if (p.target() == null) {
                throw error("nil pointer evaluating " + typ + "." + fieldName);
            }
            r = p.target();
        }
        if (r instanceof GoObject o) {
            Function method = o.method(fieldName);
            if (method != null) {
                return evalCall(dot, method, fieldName, args, fin);
            }
            if (o.hasField(fieldName)) {
                throw error(fieldName + " is an unexported field of struct type " + typ);
            }
        }
        if (r instanceof GoStruct s) {
            if (s.fields().containsKey(fieldName)) {
                if (hasArgs) {
                    throw error(fieldName + " has arguments but cannot be invoked as function");
                }
                return s.fields().get(fieldName);
            }
        } else if (r instanceof Map<?, ?> m) {
            if (hasArgs) {
                throw error(fieldName + " is not a method but has arguments");
            }
            if (m.containsKey(fieldName)) {
                return m.get(fieldName);
            }
            return switch (missingKey) {
                case DEFAULT -> NO_VALUE;
                // the zero of the element type: "" for a map[string]string, a nil interface (no value again) for interface {}
                case ZERO -> m instanceof GoValues.StringMap ? "" : null;
                case ERROR -> throw error("map has no entry for key " + GoFmt.quote(fieldName));
            };
        }
        throw error("can't evaluate field " + fieldName + " in type " + typ);
    }

    private Object evalFunction(Object dot, IdentifierNode node, List<Node> args, Object fin) {
        line = node.line();
        Function f = functions.get(node.name());
        if (f == null) {
            throw error(GoFmt.quote(node.name()) + " is not a defined function");
        }
        return evalCall(dot, f, node.name(), args, fin);
    }

    private Object evalCall(Object dot, Function fun, String fname, List<Node> allArgs, Object fin) {
        List<Node> args = allArgs == null ? List.of() : allArgs.subList(1, allArgs.size());
        int numIn = args.size() + (fin != MISSING ? 1 : 0);
        List<String> params = fun.params();
        int numFixed = args.size();
        if (fun.variadic()) {
            numFixed = params.size() - 1;
            if (numIn < numFixed) {
                throw error("wrong number of args for " + fname + ": want at least " + (params.size() - 1) + " got " + args.size());
            }
        } else if (numIn != params.size()) {
            throw error("wrong number of args for " + fname + ": want " + params.size() + " got " + numIn);
        }
        if (fun instanceof Builtins.Logic logic) {
            Object v = NO_VALUE;
            for (Node arg : args) {
                v = evalArg(dot, REFLECT_VALUE, arg);
                if (GoValues.truth(v == NO_VALUE ? null : v) == logic.isOr()) {
                    return v;
                }
            }
            if (fin != MISSING) {
                v = validateType(fin, REFLECT_VALUE);
            }
            return v;
        }
        List<Object> argv = new ArrayList<>();
        int i = 0;
        for (; i < numFixed && i < args.size(); i++) {
            argv.add(evalArg(dot, params.get(i), args.get(i)));
        }
        if (fun.variadic()) {
            String argType = params.get(params.size() - 1);
            for (; i < args.size(); i++) {
                argv.add(evalArg(dot, argType, args.get(i)));
            }
        }
        if (fin != MISSING) {
            String t = params.get(params.size() - 1);
            if (fun.variadic() && numIn - 1 < numFixed) {
                t = params.get(numIn - 1);
            }
            argv.add(validateType(fin, t));
        }
        try {
            Object result = fun.call(argv);
            return result;
        } catch (FunctionError e) {
            throw error("error calling " + fname + ": " + e.getMessage());
        } catch (GoTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw error("error calling " + fname + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static boolean canBeNil(String type) {
        return type == null || type.equals("interface {}") || type.equals(REFLECT_VALUE) || type.startsWith("[]") || type.startsWith("map[")
                || type.startsWith("*") || type.startsWith("func");
    }

    private Object validateType(Object value, String typ) {
        if (value == NO_VALUE) {
            if (typ == null) {
                return NO_VALUE;
            }
            if (typ.equals(REFLECT_VALUE)) {
                return NO_VALUE;
            }
            if (canBeNil(typ)) {
                return null;
            }
            throw error("invalid value; expected " + typ);
        }
        if (typ == null || typ.equals(REFLECT_VALUE) || typ.equals("interface {}")) {
            return value;
        }
        if (value == null) {
            // a nil interface held by a map or a slice: only an interface {} takes it
            throw error("wrong type for value; expected " + typ + "; got interface {}");
        }
        String actual = GoValues.typeName(value);
        if (actual.equals(typ)) {
            return value;
        }
        if (value instanceof GoPointer p && p.elemType().equals(typ)) {
            if (p.target() == null) {
                throw error("dereference of nil pointer of type " + typ);
            }
            return p.target();
        }
        throw error("wrong type for value; expected " + typ + "; got " + actual);
    }

    private Object evalArg(Object dot, String typ, Node n) {
        line = n.line();
        if (n instanceof DotNode) {
            return validateType(dot, typ);
        }
        if (n instanceof NilNode) {
            if (canBeNil(typ)) {
                return null;
            }
            throw error("cannot assign nil to " + typ);
        }
        if (n instanceof FieldNode f) {
            return validateType(evalFieldChain(dot, dot, f.ident(), List.of(n), MISSING), typ);
        }
        if (n instanceof VariableNode v) {
            return validateType(evalVariable(dot, v, null, MISSING), typ);
        }
        if (n instanceof PipeNode p) {
            return validateType(evalPipeline(dot, p), typ);
        }
        if (n instanceof IdentifierNode i) {
            return validateType(evalFunction(dot, i, null, MISSING), typ);
        }
        if (n instanceof ChainNode c) {
            return validateType(evalChain(dot, c, null, MISSING), typ);
        }
        if (typ == null || typ.equals("interface {}") || typ.equals(REFLECT_VALUE)) {
            return evalEmptyInterface(dot, n);
        }
        switch (typ) {
            case "bool":
                if (n instanceof BoolNode b) {
                    return b.value();
                }
                throw error("expected bool; found " + describe(n));
            case "string":
                if (n instanceof StringNode s) {
                    return s.text();
                }
                throw error("expected string; found " + describe(n));
            case "int", "int8", "int16", "int32", "int64":
                if (n instanceof NumberNode num && num.isInt()) {
                    return typ.equals("int") ? (Object) num.int64() : GoNumber.integer(typ, num.int64());
                }
                throw error("expected integer; found " + describe(n));
            case "uint", "uint8", "uint16", "uint32", "uint64", "uintptr":
                if (n instanceof NumberNode num && num.isUint()) {
                    return GoNumber.integer(typ, num.uint64());
                }
                throw error("expected unsigned integer; found " + describe(n));
            case "float64", "float32":
                if (n instanceof NumberNode num && num.isFloat()) {
                    return typ.equals("float64") ? (Object) num.float64() : new GoNumber(typ, 0, num.float64());
                }
                throw error("expected float; found " + describe(n));
            default:
                throw error("can't handle " + describe(n) + " for arg of type " + typ);
        }
    }

    private Object evalEmptyInterface(Object dot, Node n) {
        if (n instanceof BoolNode b) {
            return b.value();
        }
        if (n instanceof NumberNode num) {
            return idealConstant(num);
        }
        if (n instanceof StringNode s) {
            return s.text();
        }
        throw error("can't handle assignment of " + describe(n) + " to empty interface argument");
    }

    /** Pointers and interfaces followed to what they point at (a nil one stays). */
    private static Object indirect(Object v) {
        if (v instanceof GoPointer p && p.target() != null) {
            return p.target();
        }
        return v;
    }
}
