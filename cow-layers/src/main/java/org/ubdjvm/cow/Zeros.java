package org.ubdjvm.cow;

import java.nio.ByteBuffer;

/** Zero-filling for reads past the end of a host file (holes and the tail of an odd-sized backing), and the zero test. */
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

    /** Whether the absolute indexes {@code [from, to)} of {@code buf} are all zero (vectorised by the JDK's mismatch). */
    static boolean isZero(ByteBuffer buf, int from, int to) {
        for (int at = from; at < to; at += PAGE.capacity()) {
            int n = Math.min(PAGE.capacity(), to - at);
            if (buf.slice(at, n).mismatch(PAGE.slice(0, n)) >= 0) {
                return false;
            }
        }
        return true;
    }
}
