package org.ubdjvm.harness.guest;

import java.util.HashMap;
import java.util.Map;

/**
 * What one submitter knows of each block of its range {@code [from, to)}: the generation of its last completed write,
 * whether a request on it is in flight, and (on a large disk) the checksum it first read as before it was written.
 * Dense arrays up to {@link #DENSE_BLOCKS}; past that a map of the blocks touched, so a 2 TiB disk costs memory by
 * what a run touches, not by its size. Callers hold the submitter's lock.
 */
final class BlockBook {
    /** 4 Mi blocks (16 GiB of 4 KiB blocks): 20 MiB of arrays per submitter at most. */
    static final long DENSE_BLOCKS = 1L << 22;

    private final long from;
    private final int[] generation;
    private final boolean[] inFlight;
    /** Sparse: block to {generation, in flight (0/1), first checksum read, whether one was read (0/1)}. */
    private final Map<Long, int[]> touched;

    BlockBook(long from, long to) {
        this.from = from;
        boolean dense = to - from <= DENSE_BLOCKS;
        this.generation = dense ? new int[(int) (to - from)] : null;
        this.inFlight = dense ? new boolean[(int) (to - from)] : null;
        this.touched = dense ? null : new HashMap<>();
    }

    boolean dense() {
        return generation != null;
    }

    /** Marks {@code block} in flight; false when it already is. */
    boolean claim(long block) {
        if (dense()) {
            int i = (int) (block - from);
            if (inFlight[i]) {
                return false;
            }
            inFlight[i] = true;
            return true;
        }
        int[] state = touched.computeIfAbsent(block, b -> new int[4]);
        if (state[1] != 0) {
            return false;
        }
        state[1] = 1;
        return true;
    }

    int generation(long block) {
        if (dense()) {
            return generation[(int) (block - from)];
        }
        int[] state = touched.get(block);
        return state == null ? 0 : state[0];
    }

    /** The request on {@code block} completed; {@code written} is the generation a write put there, or -1. */
    void completed(long block, int written) {
        if (dense()) {
            int i = (int) (block - from);
            if (written >= 0) {
                generation[i] = written;
            }
            inFlight[i] = false;
            return;
        }
        int[] state = touched.get(block);
        if (written >= 0) {
            state[0] = written;
        }
        state[1] = 0;
    }

    /**
     * A never-written block of a sparse book read {@code crc}: true if it matches what it read the first time (and
     * the first time itself), false if it changed.
     */
    boolean sameAsFirstRead(long block, int crc) {
        int[] state = touched.get(block);
        if (state[3] == 0) {
            state[2] = crc;
            state[3] = 1;
            return true;
        }
        return state[2] == crc;
    }

    /** The generations of a dense book, for the journal. */
    int[] generations() {
        return generation.clone();
    }
}
