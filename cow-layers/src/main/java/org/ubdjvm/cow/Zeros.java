package org.ubdjvm.cow;

import java.nio.ByteBuffer;

/** Zero-filling for reads past the end of a host file (holes and the tail of an odd-sized backing). */
public final class Zeros {
    private static final ByteBuffer PAGE = ByteBuffer.allocateDirect(65536).asReadOnlyBuffer();

    private Zeros() {
    }

    /** Zeroes the absolute indexes {@code [from, to)} of {@code buf}; position and limit are untouched. */
    public static void fill(ByteBuffer buf, int from, int to) {
        int at = from;
        while (at < to) {
            int n = Math.min(PAGE.capacity(), to - at);
            buf.put(at, PAGE, 0, n);
            at += n;
        }
    }
}
