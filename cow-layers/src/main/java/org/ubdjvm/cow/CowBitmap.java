package org.ubdjvm.cow;

import java.io.IOException;

/**
 * A COW bitmap held in {@link MetadataPages}: bit {@code s} (sector s) is bit {@code s % 8} of byte {@code s / 8},
 * least-significant first (spec 4.3). Bits are only ever set while the image is open, so a reader that sees a
 * stale zero reads the older data, which is what an unordered concurrent read may return anyway. Bytes past the
 * pages' region (V1/V2 bits their formula drops) read clear and are never set.
 */
final class CowBitmap {
    private static final MetadataPages.PageReader EQUAL_BYTES = (p, at, o, n, value, unused) -> {
        int k = 0;
        while (k < n && (p[at + k] & 0xFF) == value) {
            k++;
        }
        return k;
    };
    private static final MetadataPages.PageReader COUNT_BITS = (p, at, o, n, unused1, unused2) -> {
        long count = 0;
        for (int k = 0; k < n; k++) {
            count += Integer.bitCount(p[at + k] & 0xFF);
        }
        return count;
    };
    /** The first non-zero byte's region offset, encoded as -(offset + 1), or 0 when there is none. */
    private static final MetadataPages.PageReader FIRST_NONZERO = (p, at, o, n, unused1, unused2) -> {
        for (int k = 0; k < n; k++) {
            if (p[at + k] != 0) {
                return -(o + k) - 1;
            }
        }
        return 0;
    };
    private static final MetadataPages.PageEditor SET_BITS = (p, at, o, n, first, count) -> {
        long end = first + count;
        for (int k = 0; k < n; k++) {
            long byteSector = (o + k) << 3;
            long lo = Math.max(first, byteSector);
            long hi = Math.min(end, byteSector + 8);
            p[at + k] |= (byte) (((1 << (hi - lo)) - 1) << (lo - byteSector));
        }
    };

    private static final MetadataPages.PageEditor CLEAR_BITS = (p, at, o, n, first, count) -> {
        long end = first + count;
        for (int k = 0; k < n; k++) {
            long byteSector = (o + k) << 3;
            long lo = Math.max(first, byteSector);
            long hi = Math.min(end, byteSector + 8);
            p[at + k] &= (byte) ~(((1 << (hi - lo)) - 1) << (lo - byteSector));
        }
    };

    private final MetadataPages pages;
    private final long sectors;
    private final long regionBits;

    CowBitmap(MetadataPages pages, long sectors) {
        this.pages = pages;
        this.sectors = sectors;
        this.regionBits = pages.regionLength() * 8;
    }

    long sectors() {
        return sectors;
    }

    MetadataPages pages() {
        return pages;
    }

    boolean get(long sector) throws IOException {
        return (pages.byteAt(sector >>> 3) & (1 << (sector & 7))) != 0;
    }

    /** The first sector in {@code [from, end)} whose bit differs from {@code value}, or {@code end}. */
    long runEnd(long from, long end, boolean value) throws IOException {
        long s = from;
        int skip = value ? 0xFF : 0;
        while (s < end) {
            if ((s & 7) == 0 && end - s >= 8) {
                if (s >= regionBits) {
                    return value ? s : end; // past the region every bit reads clear
                }
                long n = pages.read(s >>> 3, (int) Math.min((end - s) >>> 3, Integer.MAX_VALUE), EQUAL_BYTES, skip, 0);
                if (n > 0) {
                    s += n * 8;
                    continue;
                }
            }
            if (get(s) != value) {
                return s;
            }
            s++;
        }
        return end;
    }

    /** Sets the bits of {@code [first, first + count)}; only for sectors whose data write completed. */
    void set(long first, long count) throws IOException {
        if (count == 0) {
            return;
        }
        long firstByte = first >>> 3;
        long lastByte = (first + count - 1) >>> 3;
        pages.edit(firstByte, lastByte - firstByte + 1, SET_BITS, first, count);
    }

    /** Clears the bits of {@code [first, first + count)}; the pages go out with the next flush like set ones. */
    void clear(long first, long count) throws IOException {
        if (count <= 0) {
            return;
        }
        long firstByte = first >>> 3;
        long lastByte = (first + count - 1) >>> 3;
        pages.edit(firstByte, lastByte - firstByte + 1, CLEAR_BITS, first, count);
    }

    /** Set bits of sectors of the disk, streamed page by page (the cache keeps its pages). */
    long countSet() throws IOException {
        long whole = Math.min(sectors >>> 3, pages.regionLength());
        long n = pages.scan(0, whole, COUNT_BITS, 0, 0);
        for (long s = whole * 8; s < Math.min(sectors, regionBits); s++) {
            if (get(s)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The last set sector, or -1: chunks of a page streamed from the end, then the last non-empty one byte by byte,
     * so a disk written near its start costs one pass, never the whole bitmap in memory.
     */
    long highestSet() throws IOException {
        long bytes = (Math.min(sectors, regionBits) + 7) >>> 3;
        int step = pages.pageSize();
        for (long end = bytes; end > 0; ) {
            long start = Math.max(0, end - step);
            if (pages.scan(start, end, FIRST_NONZERO, 0, 0) < 0) {
                for (long o = end - 1; o >= start; o--) {
                    int b = pages.byteAt(o);
                    if (b != 0) {
                        for (int bit = 7; bit >= 0; bit--) {
                            long sector = (o << 3) + bit;
                            if ((b & (1 << bit)) != 0 && sector < sectors) {
                                return sector;
                            }
                        }
                    }
                }
            }
            end = start;
        }
        return -1;
    }

    /** The first set sector at or after {@code from}, or -1; streamed like {@link #countSet}. */
    long firstSetFrom(long from) throws IOException {
        long limit = Math.min(sectors, regionBits);
        long s = from;
        for (; s < limit && (s & 7) != 0; s++) {
            if (get(s)) {
                return s;
            }
        }
        long wholeEnd = limit >>> 3;
        if (s < limit && (s >>> 3) < wholeEnd) {
            long found = pages.scan(s >>> 3, wholeEnd, FIRST_NONZERO, 0, 0);
            if (found < 0) {
                long at = (-found - 1) * 8;
                while (!get(at)) {
                    at++;
                }
                return at;
            }
            s = wholeEnd * 8;
        }
        for (; s < limit; s++) {
            if (get(s)) {
                return s;
            }
        }
        return -1;
    }
}
