package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The sectors of one read through a COW layer as alternating runs, by its bitmap: held by the layer's own data, or
 * read through to the layer below. Found once, before any request is issued, so that the read can choose how to
 * issue them ({@link #worthGathering}) and so that nothing touches the bitmap from a completion thread.
 */
final class SectorRuns {
    /**
     * A read of more runs than this reads each layer's whole range once instead of once a run. A 1 MiB piece of a
     * copy over a layer written in scattered 4 KiB blocks crosses hundreds of runs: one host request each cost more
     * CPU than reading the whole range twice (one request into the caller's buffer, one into a scratch buffer) and
     * copying the layer's runs over, and the piece then reaches the host as two large reads.
     */
    static final int GATHER_ABOVE = 8;
    /** Largest read served that way: the scratch buffer's size. */
    static final int GATHER_MAX = 1 << 20;

    private final boolean firstHeld;
    /** Run i spans bytes {@code [bounds[i], bounds[i + 1])} of the read; runs alternate held / not held. */
    private int[] bounds = new int[4];
    private int count;

    private SectorRuns(boolean firstHeld) {
        this.firstHeld = firstHeld;
    }

    /** The runs of sectors {@code [first, end)} of {@code bitmap}, in bytes of {@code sectorSize} from the first. */
    static SectorRuns of(CowBitmap bitmap, long first, long end, int sectorSize) throws IOException {
        SectorRuns runs = new SectorRuns(first < end && bitmap.get(first));
        boolean held = runs.firstHeld;
        for (long s = first; s < end; held = !held) {
            long runEnd = bitmap.runEnd(s, end, held);
            runs.add((int) ((s - first) * sectorSize), (int) ((runEnd - first) * sectorSize));
            s = runEnd;
        }
        return runs;
    }

    private void add(int from, int to) {
        if (count + 2 > bounds.length) {
            bounds = Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[count] = from;
        bounds[count + 1] = to;
        count++;
    }

    int count() {
        return count;
    }

    int from(int run) {
        return bounds[run];
    }

    int to(int run) {
        return bounds[run + 1];
    }

    /** Whether run {@code run} is held by the layer's own data. */
    boolean held(int run) {
        return firstHeld == (run % 2 == 0);
    }

    /** Whether a read of {@code length} bytes over these runs should read each layer's whole range once. */
    boolean worthGathering(int length) {
        return count > GATHER_ABOVE && length <= GATHER_MAX;
    }

    /** Copies the held runs from {@code scratch} (the layer's data for the whole read, from index 0) into {@code dst}. */
    void overlay(ByteBuffer scratch, ByteBuffer dst, int dstStart) {
        for (int i = firstHeld ? 0 : 1; i < count; i += 2) {
            dst.put(dstStart + from(i), scratch, from(i), to(i) - from(i));
        }
    }
}
