package org.ubdjvm.harness.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A connection's direct buffers for request payloads, kept by power-of-two size up to 1 MiB: allocating a direct
 * buffer per request costs more than the I/O at 4 KiB. Larger payloads get a buffer of their own.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 20;
    /** Kept per size: enough for a queue depth of 64 at one size. */
    private static final int KEEP = 64;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[MAX_SHIFT - MIN_SHIFT + 1];

    BufferPool() {
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** A buffer with position 0 and limit {@code length}. */
    ByteBuffer take(int length) {
        int shift = shiftFor(length);
        if (shift > MAX_SHIFT) {
            return ByteBuffer.allocateDirect(length);
        }
        ByteBuffer b;
        synchronized (this) {
            b = free[shift - MIN_SHIFT].poll();
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << shift);
        }
        return b.clear().limit(length);
    }

    /** Gives {@code b} back once nothing refers to it (its I/O completed and its reply is written). */
    void give(ByteBuffer b) {
        int capacity = b.capacity();
        if (Integer.bitCount(capacity) != 1 || capacity < 1 << MIN_SHIFT || capacity > 1 << MAX_SHIFT) {
            return;
        }
        int shift = Integer.numberOfTrailingZeros(capacity);
        synchronized (this) {
            if (free[shift - MIN_SHIFT].size() < KEEP) {
                free[shift - MIN_SHIFT].add(b);
            }
        }
    }

    private static int shiftFor(int length) {
        return Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(Math.max(length, 1) - 1));
    }
}
