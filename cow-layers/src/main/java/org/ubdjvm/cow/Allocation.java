package org.ubdjvm.cow;

/**
 * One run of a virtual disk and the layer whose bytes a read of it returns (qemu's block status): the base of
 * {@code map}, sparse {@code convert}, NBD {@code BLOCK_STATUS} and merge.
 *
 * @param offset where the run starts, in bytes
 * @param length its length in bytes, positive
 * @param depth  the layer that holds the run: 0 the image asked, 1 the layer below it, and so on; or {@link #ZEROS}
 *               when no layer holds it and it reads as zeros (past the end of every layer that would supply it). A
 *               range a layer holds reads that layer's bytes even when they are zeros: a discarded COW sector is
 *               held (as a hole) by its layer, so it hides what lies below
 */
public record Allocation(long offset, long length, int depth) {
    /** No layer holds the run: it reads as zeros. */
    public static final int ZEROS = -1;

    public Allocation {
        if (offset < 0 || length <= 0 || depth < ZEROS) {
            throw new IllegalArgumentException("allocation run " + offset + "+" + length + " at depth " + depth);
        }
    }

    public long end() {
        return offset + length;
    }

    /** Whether no layer holds this run. */
    public boolean zeros() {
        return depth == ZEROS;
    }

    /** The same run as seen from the layer above: one deeper, unless no layer holds it. */
    public Allocation fromAbove() {
        return zeros() ? this : new Allocation(offset, length, depth + 1);
    }

    /** This run cut to its first {@code bytes}. */
    public Allocation limit(long bytes) {
        return bytes >= length ? this : new Allocation(offset, bytes, depth);
    }
}
