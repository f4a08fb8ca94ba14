package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One option a format's {@code create} accepts, declared by the format itself (qemu's {@code create_opts}): generic
 * code lists, validates and passes options by these declarations and never knows what they mean. A value is given
 * as text ({@code ubd create -o version=2}); {@link FormatTable#create} refuses a name the format does not declare
 * and a value its type cannot parse, before anything is written.
 *
 * @param name         the key after {@code -o}, lower case, words joined by '-' or run together ({@code version},
 *                     {@code old64})
 * @param type         how the text is read
 * @param defaultValue the value when the option is not given, as text of this type
 * @param help         one line for {@code -o help}
 */
public record CreateOption(String name, Type type, String defaultValue, String help) {

    /** The value types of qemu's options that formats use so far. */
    public enum Type {
        /** {@code on}/{@code off} (also {@code true}/{@code false}, {@code yes}/{@code no}). */
        BOOL,
        /** A decimal integer. */
        NUMBER,
        /** Any text. */
        STRING;

        /** The spelling {@code -o help} shows. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final List<String> TRUE = List.of("on", "true", "yes");
    private static final List<String> FALSE = List.of("off", "false", "no");

    public CreateOption {
        if (name == null || name.isEmpty() || type == null || defaultValue == null || help == null) {
            throw new IllegalArgumentException("a create option needs a name, a type, a default and a help line");
        }
    }

    /** The value {@code spec} gives this option (or the default) as a number; see {@link Type#NUMBER}. */
    public long number(CreateSpec spec) throws ImageException {
        requireType(Type.NUMBER);
        return parseNumber(spec.file(), spec.option(this));
    }

    /** The value {@code spec} gives this option (or the default) as a boolean; see {@link Type#BOOL}. */
    public boolean bool(CreateSpec spec) throws ImageException {
        requireType(Type.BOOL);
        return parseBool(spec.file(), spec.option(this));
    }

    /** The value {@code spec} gives this option, or the default. */
    public String string(CreateSpec spec) {
        return spec.option(this);
    }

    /** Null when {@code text} is a value of this option's type, else the error naming file, option and value. */
    ImageException validate(Path file, String text) {
        try {
            switch (type) {
                case BOOL -> parseBool(file, text);
                case NUMBER -> parseNumber(file, text);
                case STRING -> { }
            }
            return null;
        } catch (ImageException e) {
            return e;
        }
    }

    private long parseNumber(Path file, String text) throws ImageException {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw invalid(file, text, "not a number");
        }
    }

    private boolean parseBool(Path file, String text) throws ImageException {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (TRUE.contains(t)) {
            return true;
        }
        if (FALSE.contains(t)) {
            return false;
        }
        throw invalid(file, text, "not on or off");
    }

    private ImageException invalid(Path file, String text, String reason) {
        return new ImageException(file, "option " + name + "=" + text + ": " + reason);
    }

    private void requireType(Type wanted) {
        if (type != wanted) {
            throw new IllegalStateException("option " + name + " is " + type.label() + ", read as " + wanted.label());
        }
    }
}
