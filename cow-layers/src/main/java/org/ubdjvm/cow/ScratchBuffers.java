package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Direct, aligned buffers of one size for requests a layer issues on its own behalf, kept for reuse: allocating
 * direct memory zeroes it and leaves its release to the garbage collector, too slow for every large read. A few are
 * kept (as many as were in use at once, up to {@link #KEPT}); more are made when more are in flight.
 */
final class ScratchBuffers {
    private static final int KEPT = 4;

    private final int size;
    private final int alignment;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();

    ScratchBuffers(int size, int alignment) {
        this.size = size;
        this.alignment = alignment;
    }

    /** A buffer whose position is 0 and limit {@code length} (at most the size), aligned for O_DIRECT. */
    ByteBuffer take(int length) {
        ByteBuffer b = free.poll();
        if (b == null) {
            b = ByteBuffer.allocateDirect(size + alignment).alignedSlice(alignment).limit(size);
        }
        return b.clear().limit(length);
    }

    /** Gives back a buffer from {@link #take} once nothing reads or writes it. */
    void give(ByteBuffer buffer) {
        if (free.size() < KEPT) {
            free.offer(buffer);
        }
    }
}
