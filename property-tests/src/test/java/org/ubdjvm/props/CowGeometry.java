package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a UML COW file keeps its fields, bitmap and data, written down a second time straight from the spec
 * (uml-cow-format.md sections 3 and 4.1) so the on-disk checks do not trust the code they check. Only what
 * uml_mkcow and cow-layers create: sector size 512, V3 alignment 4096; V3 packed, or with {@code old64} the padded
 * layout of 64-bit builds before Dec 2005 (spec 3.4: 4 pad bytes after mtime, 4 at the end, 4136 bytes).
 */
record CowGeometry(int version, long size, boolean old64) {
    static final int SECTOR = 512;
    static final int ALIGNMENT = 4096;
    static final int MAGIC = 0x4F4F4F4D;

    CowGeometry {
        if (version < 1 || version > 3 || old64 && version != 3) {
            throw new IllegalArgumentException("UML COW version " + version + (old64 ? " (V3-old64)" : ""));
        }
    }

    CowGeometry(int version, long size) {
        this(version, size, false);
    }

    static CowGeometry of(LayerKind kind, long size) {
        return new CowGeometry(kind.version(), size, kind.old64());
    }

    /** V1 is little-endian (x86 host order); V2 and V3 are big-endian. */
    ByteOrder order() {
        return version == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    }

    int mtimeOffset() {
        return switch (version) {
            case 1 -> 264;
            case 2 -> 4104;
            default -> 8;
        };
    }

    /** Old 64-bit V3: after mtime (8..11), 4 pad bytes (12..15), then size at 16. */
    int sizeOffset() {
        return mtimeOffset() + (old64 ? 8 : 4);
    }

    /** V3 only: sector size, alignment and cow_format follow size. */
    int sectorSizeOffset() {
        return sizeOffset() + 8;
    }

    int alignmentOffset() {
        return sectorSizeOffset() + 4;
    }

    int cowFormatOffset() {
        return alignmentOffset() + 4;
    }

    int backingOffset() {
        return version == 3 ? cowFormatOffset() + 4 : 8;
    }

    /** Bytes the header struct occupies: V1 280, V2 4120, V3 4128, V3-old64 4136 (its tail padding included). */
    int headerSize() {
        return switch (version) {
            case 1 -> 280;
            case 2 -> 4120;
            default -> old64 ? 4136 : 4128;
        };
    }

    /** Where the header's padding is (V3-old64 only): bytes that must be zero. */
    int[][] paddingRanges() {
        return old64 ? new int[][] {{12, 16}, {4132, 4136}} : new int[0][];
    }

    long bitmapOffset() {
        return version == 3 ? roundUp(headerSize(), ALIGNMENT) : headerSize();
    }

    /** V1/V2 round the bitmap down (the rounding bug of spec 4.2); V3 rounds up. */
    long bitmapLength() {
        return version < 3 ? (size + SECTOR - 1) / (8L * SECTOR) : (sectors() + 7) / 8;
    }

    long dataOffset() {
        return roundUp(bitmapOffset() + bitmapLength(), version < 3 ? SECTOR : ALIGNMENT);
    }

    long sectors() {
        return (size + SECTOR - 1) / SECTOR;
    }

    /** Bytes 0..7: the magic (little-endian for V1, "MOOO"; else "OOOM") and the version in the same order. */
    byte[] head() {
        return ByteBuffer.allocate(8).order(order()).putInt(MAGIC).putInt(version).array();
    }

    long mtime(byte[] header) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(header).order(order()).getInt(mtimeOffset()));
    }

    long storedSize(byte[] header) {
        return ByteBuffer.wrap(header).order(order()).getLong(sizeOffset());
    }

    /** The NUL-terminated backing path. */
    String backingFile(byte[] header) {
        int end = backingOffset();
        while (header[end] != 0) {
            end++;
        }
        return new String(header, backingOffset(), end - backingOffset(), java.nio.charset.StandardCharsets.UTF_8);
    }

    int intField(byte[] header, int offset) {
        return ByteBuffer.wrap(header).order(order()).getInt(offset);
    }

    private static long roundUp(long x, long unit) {
        return (x + unit - 1) / unit * unit;
    }
}
