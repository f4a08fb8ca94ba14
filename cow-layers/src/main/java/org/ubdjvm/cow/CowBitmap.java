package org.ubdjvm.cow;

/**
 * The in-memory copy of a COW bitmap: bit {@code s} (sector s) is bit {@code s % 8} of byte {@code s / 8},
 * least-significant first (spec 4.3). Bits are only ever set while the image is open, so a reader that sees a
 * stale zero reads the older data, which is what an unordered concurrent read may return anyway.
 *
 * <p>Set bits are remembered as a dirty byte range until a flush writes them out.
 */
final class CowBitmap {
    private final byte[] bits;
    private final long sectors;
    private int dirtyFrom = Integer.MAX_VALUE;
    private int dirtyTo = 0;

    CowBitmap(byte[] bits, long sectors) {
        this.bits = bits;
        this.sectors = sectors;
    }

    long sectors() {
        return sectors;
    }

    boolean get(long sector) {
        return (bits[(int) (sector >>> 3)] & (1 << (sector & 7))) != 0;
    }

    /** The first sector in {@code [from, end)} whose bit differs from {@code value}, or {@code end}. */
    long runEnd(long from, long end, boolean value) {
        long s = from;
        byte skip = value ? (byte) 0xFF : 0;
        while (s < end) {
            if ((s & 7) == 0 && end - s >= 8 && bits[(int) (s >>> 3)] == skip) {
                s += 8;
            } else if (get(s) == value) {
                s++;
            } else {
                return s;
            }
        }
        return end;
    }

    synchronized void set(long first, long count) {
        for (long s = first; s < first + count; s++) {
            bits[(int) (s >>> 3)] |= (byte) (1 << (s & 7));
        }
        dirtyFrom = Math.min(dirtyFrom, (int) (first >>> 3));
        dirtyTo = Math.max(dirtyTo, (int) ((first + count - 1) >>> 3) + 1);
    }

    /** Clears the bits of {@code [first, first + count)}; they go out with the next flush like set ones. */
    synchronized void clear(long first, long count) {
        if (count <= 0) {
            return;
        }
        for (long s = first; s < first + count; s++) {
            bits[(int) (s >>> 3)] &= (byte) ~(1 << (s & 7));
        }
        dirtyFrom = Math.min(dirtyFrom, (int) (first >>> 3));
        dirtyTo = Math.max(dirtyTo, (int) ((first + count - 1) >>> 3) + 1);
    }

    /** The dirty bytes as they are now, and forgets them; null when nothing is dirty. */
    synchronized DirtyBytes takeDirty() {
        if (dirtyFrom >= dirtyTo) {
            return null;
        }
        byte[] copy = java.util.Arrays.copyOfRange(bits, dirtyFrom, dirtyTo);
        DirtyBytes d = new DirtyBytes(dirtyFrom, copy);
        dirtyFrom = Integer.MAX_VALUE;
        dirtyTo = 0;
        return d;
    }

    /** A write of {@code d} failed: its bytes must go out with the next flush. */
    synchronized void redirty(DirtyBytes d) {
        dirtyFrom = Math.min(dirtyFrom, d.from());
        dirtyTo = Math.max(dirtyTo, d.from() + d.bytes().length);
    }

    long countSet() {
        long n = 0;
        for (long s = 0; s < sectors; s++) {
            if (get(s)) {
                n++;
            }
        }
        return n;
    }

    /** The highest set sector, or -1. */
    long highestSet() {
        for (long s = sectors - 1; s >= 0; s--) {
            if (get(s)) {
                return s;
            }
        }
        return -1;
    }

    record DirtyBytes(int from, byte[] bytes) {
    }
}
