package org.ubdjvm.harness.cli;

import java.nio.file.Path;
import org.ubdjvm.harness.ByteSize;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine;

/**
 * One {@code -c} command of {@code ubd io}: {@code read [-P BYTE] OFF LEN}, {@code write [-P BYTE | -s FILE] OFF LEN}
 * or {@code flush}. Parsed before the image is opened, so a typo touches nothing.
 *
 * @param pattern the byte a write fills with, or a read expects; null for a read that checks nothing
 * @param source  for {@code write -s}: the file whose bytes are written (repeated if shorter), as qemu-io's; else null
 */
record IoOp(Kind kind, long offset, long length, Integer pattern, Path source) {
    enum Kind { READ, WRITE, FLUSH }

    /** qemu-io's default write pattern. */
    static final int DEFAULT_PATTERN = 0xcd;

    static IoOp parse(CommandLine cli, String command) {
        String[] w = command.strip().split("\\s+");
        try {
            return switch (w[0]) {
                case "read" -> transfer(Kind.READ, w, null);
                case "write" -> transfer(Kind.WRITE, w, DEFAULT_PATTERN);
                case "flush" -> {
                    if (w.length != 1) {
                        throw new TypeConversionException("flush takes no arguments");
                    }
                    yield new IoOp(Kind.FLUSH, 0, 0, null, null);
                }
                default -> throw new TypeConversionException("unknown command '" + w[0]
                        + "' (known: read, write, flush)");
            };
        } catch (TypeConversionException | IllegalArgumentException e) { // ByteSize says what is wrong with a size
            throw new ParameterException(cli, "-c '" + command.strip() + "': " + e.getMessage());
        }
    }

    private static IoOp transfer(Kind kind, String[] w, Integer defaultPattern) {
        int at = 1;
        Integer pattern = defaultPattern;
        Path source = null;
        if (w.length > 2 && w[1].equals("-P")) {
            pattern = parseByte(w[2]);
            at = 3;
        } else if (w.length > 2 && w[1].equals("-s") && kind == Kind.WRITE) {
            source = Path.of(w[2]);
            pattern = null;
            at = 3;
        }
        if (w.length - at != 2) {
            throw new TypeConversionException("usage: " + w[0] + (kind == Kind.WRITE ? " [-P BYTE | -s FILE]" : " [-P BYTE]")
                    + " OFF LEN");
        }
        return new IoOp(kind, ByteSize.parse(w[at]), ByteSize.parse(w[at + 1]), pattern, source);
    }

    /** A pattern byte, decimal or 0x hex, as qemu-io's -P takes it. */
    private static int parseByte(String text) {
        try {
            int v = text.regionMatches(true, 0, "0x", 0, 2)
                    ? Integer.parseInt(text.substring(2), 16) : Integer.parseInt(text);
            if (v >= 0 && v <= 255) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted forms
        }
        throw new TypeConversionException("invalid pattern '" + text + "': a byte, 0..255 or 0x00..0xff");
    }
}
