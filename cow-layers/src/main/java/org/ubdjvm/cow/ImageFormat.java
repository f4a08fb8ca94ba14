package org.ubdjvm.cow;

import java.io.IOException;
import java.util.List;

/**
 * One image format plug-in: the seed's "ops structure" and qemu's {@code BlockDriver}. Generic code (the CLI, the
 * driver, tools) reaches formats only through {@link FormatTable} and this interface: it never names a format class
 * and never switches on a format's name. A new format is one implementation added to the table.
 *
 * <p>Everything a format does to the layer below it goes through that layer's {@link BlockImage}, opened with
 * {@link FormatTable#open}; a format never opens another format's files itself.
 */
public interface ImageFormat {
    /** Name used by {@code -f}/{@code -O} ("raw", "cow"): lower case, unique in a table. */
    String name();

    /**
     * Whether {@link #create} with a backing makes a copy-on-write layer: every write stays in the new file and the
     * rest is read through the layer below, which is only read from then on. A live snapshot's new top must be one.
     * A format whose "backing" is where its data lives (the seed's HEADER and its data file) is not.
     */
    default boolean copyOnWrite() {
        return false;
    }

    /**
     * Whether an open layer of this format can record a new backing file and its mtime ({@link BlockImage#layerFile}
     * is not null): what a commit needs of the layer whose backing becomes the base, and of the layer above the base.
     */
    default boolean recordsNewBacking() {
        return false;
    }

    /**
     * Whether the first bytes of a file are this format's (qemu's {@code bdrv_probe}), from the bytes alone: no
     * I/O, no exceptions. A file this format claims but cannot parse fails in {@link #open}, not here. Raw claims
     * nothing: it is what is left.
     */
    boolean probe(ProbeBytes head);

    /**
     * A protocol layer's claim on a location that is not a host file (qemu's {@code protocol_name}, found by
     * {@code bdrv_find_protocol}), by its name alone, e.g. a URI scheme: the name as an upper layer's header is to
     * store it, or null when the name is not this format's (the default: a host file). The table asks every entry
     * before it reads a byte, so such a location is never probed, resolved as a path or checked for an mtime. No
     * I/O, no exceptions: a malformed name this format claims fails in {@link #open}.
     */
    default String claimLocation(String name) {
        return null;
    }

    /**
     * Opens {@code spec.file()} as this format and, through {@code table}, every layer below it (qemu's
     * {@code bdrv_open}). Open applies the format's consistency checks and refuses a bad file with one
     * {@link ImageException} naming the file, the field or offset and the reason, leaving the file as it was.
     *
     * <p>Call it through {@link FormatTable#open}, never directly: the table checks every request (alignment, range,
     * read-only) before it reaches the returned image, so the image's own code need not and should not repeat that.
     */
    BlockImage open(OpenSpec spec, FormatTable table) throws IOException;

    /**
     * The options {@link #create} understands besides the fields every spec has (qemu's {@code create_opts}), in the
     * order {@code -o help} lists them; empty when there are none. {@link FormatTable#create} refuses any other.
     */
    List<CreateOption> createOptions();

    /**
     * Creates {@code spec.file()}, which must not exist (qemu's {@code bdrv_co_create_opts}). Reads its options with
     * {@link CreateOption#number} and friends. A spec this format cannot make (a missing backing, a size it cannot
     * describe, an option value out of range) is one {@link ImageException}, and then no file is left behind.
     */
    void create(CreateSpec spec, FormatTable table) throws IOException;

    /**
     * Checks one layer's file for consistency, this layer only (qemu's {@code bdrv_co_check}), without opening it
     * as an image: a file that {@link #open} refuses is checked all the same, and the report says why. With
     * {@code repair} the findings that can be repaired safely are, and the file is durable before this returns;
     * without it nothing is written. A file that cannot be read as this format at all (a bad header) is an
     * {@link ImageException}, not a report. The image must not be open meanwhile.
     *
     * @param spec the file, the format, and a user-named backing ({@link OpenSpec#backing()}) to check against
     */
    CheckReport check(OpenSpec spec, boolean repair, FormatTable table) throws IOException;

    /**
     * {@link #check(OpenSpec, boolean, FormatTable)} repairing only what {@code repair} allows. A format that cannot
     * tell its leak repairs from its corruption repairs need not override it: for {@link Repair#LEAKS} it then
     * repairs only a file whose findings are all leaks.
     */
    default CheckReport check(OpenSpec spec, Repair repair, FormatTable table) throws IOException {
        if (repair != Repair.LEAKS) {
            return check(spec, repair == Repair.ALL, table);
        }
        CheckReport found = check(spec, false, table);
        return found.corruptions() == 0 && found.leaks() > 0 ? check(spec, true, table) : found;
    }
}
