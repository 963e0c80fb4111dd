package io.ironbell.engine.internal.gotemplate;

import io.ironbell.engine.internal.gotemplate.GoValues.Function;
import io.ironbell.engine.internal.gotemplate.GoValues.GoPointer;
import io.ironbell.engine.internal.gotemplate.GoValues.GoStruct;

/**
 * A value of a Go type that has methods ({@code time.Time}, {@code *semver.Version}): what
 * reflect, fmt and encoding/json see of it, and the methods a template can call on it. Its
 * fields are unexported: templates cannot reach them, fmt prints them for the verbs that do not
 * take a string.
 */
interface GoObject {

    /** reflect.Type.String(): {@code time.Time}, {@code *semver.Version}. */
    String typeName();

    /** Its String method: what fmt prints for %v, %s, %q, %x and %X. */
    String string();

    /** Its GoString method (for %#v), or null when it has none. */
    String goString();

    /** Its fields as fmt prints them: a GoStruct, or a GoPointer to one for a pointer type. */
    Object fields();

    /** Its MarshalJSON; a FunctionError with that error where it fails. */
    String json();

    /** The method of that name, bound to this value, or null when it has none. */
    Function method(String name);

    /** What copystructure (Sprig's deepCopy) makes of it. */
    Object deepCopy();

    /** reflect.Kind's name: struct or ptr. */
    default String kind() {
        return fields() instanceof GoPointer ? "ptr" : "struct";
    }

    default boolean hasField(String name) {
        Object f = fields();
        GoStruct s = (GoStruct) (f instanceof GoPointer p ? p.target() : f);
        return s.fields().containsKey(name);
    }
}
