package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What commit and rebase change in place in a layer's own file besides its disk: qemu's
 * {@code bdrv_change_backing_file} and {@code bdrv_make_empty}. A layer over a backing file offers it through
 * {@link BlockImage#layerFile()}. Each call waits for its I/O and is durable when it returns.
 */
public interface LayerFile {
    /**
     * Records {@code backing} as this layer's backing file, as the format stores it (UML COW: the name, and the size
     * and mtime the kernel checks), keeping the stored name when it already names that file. The backing must have
     * this layer's disk size (the caller checks: a UML COW layer cannot change its size). Crash-safe: a reader
     * finds the old record or the new one, never a mix; a change the format cannot make that way is refused before
     * anything is written.
     */
    void recordBacking(Path backing) throws IOException;

    /**
     * Refuses, writing nothing, what {@link #recordBacking} would refuse for {@code backing} once that file's mtime
     * has moved: for a caller that changes the backing first and records it last (a background commit copies into
     * the base for minutes, then renames it in the layer above), and must not find out only then. Accepts by default.
     */
    default void checkRecordBacking(Path backing) throws IOException {
    }

    /** Forgets what this layer holds of {@code [0, length)}, which then reads through to the layer below. */
    void empty(long length) throws IOException;
}
