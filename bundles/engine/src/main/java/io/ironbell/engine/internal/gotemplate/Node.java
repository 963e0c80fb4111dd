package io.ironbell.engine.internal.gotemplate;

import java.util.List;

/** The parse tree of a template, node for node as Go's text/template/parse builds it. */
sealed interface Node {

    /** The line the node starts on, for errors. */
    int line();

    record ListNode(int line, List<Node> nodes) implements Node {
    }

    record TextNode(int line, String text) implements Node {
    }

    record ActionNode(int line, PipeNode pipe) implements Node {
    }

    /** {@code $a, $b := cmd | cmd}; {@code assign}: {@code =} rather than {@code :=}. */
    record PipeNode(int line, boolean assign, List<VariableNode> decl, List<CommandNode> cmds) implements Node {
    }

    record CommandNode(int line, List<Node> args) implements Node {
    }

    record IdentifierNode(int line, String name) implements Node {
    }

    /** {@code $x.Field1.Field2}: the variable's name first. */
    record VariableNode(int line, List<String> ident) implements Node {
    }

    record DotNode(int line) implements Node {
    }

    record NilNode(int line) implements Node {
    }

    /** {@code .Field1.Field2}. */
    record FieldNode(int line, List<String> ident) implements Node {
    }

    /** {@code (pipeline).Field1.Field2}. */
    record ChainNode(int line, Node node, List<String> fields) implements Node {
    }

    record BoolNode(int line, boolean value) implements Node {
    }

    /** A number constant with every reading Go allows of it (int, uint, float). */
    record NumberNode(int line, String text, boolean isInt, boolean isUint, boolean isFloat, long int64, long uint64, double float64)
            implements Node {
    }

    record StringNode(int line, String quoted, String text) implements Node {
    }

    record EndNode(int line) implements Node {
    }

    record ElseNode(int line) implements Node {
    }

    enum Branch { IF, RANGE, WITH }

    record BranchNode(int line, Branch kind, PipeNode pipe, ListNode list, ListNode elseList) implements Node {
    }

    record BreakNode(int line) implements Node {
    }

    record ContinueNode(int line) implements Node {
    }

    record TemplateNode(int line, String name, PipeNode pipe) implements Node {
    }
}
