package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * How to create an image.
 *
 * @param file     the new file; must not exist (as uml_mkcow without -f)
 * @param format   format name
 * @param size     virtual size in bytes for formats without a backing file, else ignored
 * @param backing  backing file for COW formats (any format; its virtual size becomes this image's size)
 * @param version  format version, 0 for the format's default (UML COW: 3)
 * @param warnings where notices go (obsolete version)
 * @param old64BitV3 UML COW V3 in the padded layout 64-bit builds wrote before Dec 2005 (for compatibility tests:
 *                   "someone always seems to want to run broken versions", as the seed says)
 */
public record CreateSpec(Path file, String format, long size, Path backing, int version, Consumer<String> warnings,
                         boolean old64BitV3) {
    public CreateSpec(Path file, String format, long size, Path backing, int version, Consumer<String> warnings) {
        this(file, format, size, backing, version, warnings, false);
    }
}
