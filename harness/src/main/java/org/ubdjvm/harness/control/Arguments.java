package org.ubdjvm.harness.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's arguments, checked as QMP does: a name the command does not take, or a value of the wrong JSON type,
 * is an error reply naming it, never ignored (a typo in an optional argument would otherwise change what is done).
 */
final class Arguments {
    private final String command;
    private final ObjectNode args;

    private Arguments(String command, ObjectNode args) {
        this.command = command;
        this.args = args;
    }

    /** {@code args} of {@code command}, which takes only {@code names}. */
    static Arguments of(String command, ObjectNode args, List<String> names) throws ControlError {
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!names.contains(name)) {
                throw ControlError.generic(command + ": unknown argument '" + name + "'"
                        + (names.isEmpty() ? " (it takes none)" : " (it takes " + String.join(", ", names) + ")"));
            }
        }
        return new Arguments(command, args);
    }

    /** An argument of any JSON type, or null when it is absent (or JSON null): the command checks its type. */
    JsonNode value(String name) {
        JsonNode v = args.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** A string argument, or null when it is absent (or JSON null). */
    String text(String name) throws ControlError {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ControlError.generic(command + ": '" + name + "' must be a string, not " + v.getNodeType()
                    .name().toLowerCase(java.util.Locale.ROOT));
        }
        return v.asText();
    }

    /** A string argument that must be there and not empty; {@code what} says what it is, for the error. */
    String requiredText(String name, String what) throws ControlError {
        String v = text(name);
        if (v == null || v.isEmpty()) {
            throw ControlError.generic(command + ": missing '" + name + "' (" + what + ")");
        }
        return v;
    }

    /** An object of scalar values (strings, numbers, booleans) as text, e.g. a format's create options. */
    Map<String, String> options(String name) throws ControlError {
        JsonNode v = args.get(name);
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw ControlError.generic(command + ": '" + name + "' must be an object of KEY: VALUE");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw ControlError.generic(command + ": '" + name + "." + e.getKey()
                        + "' must be a string, number or boolean");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
