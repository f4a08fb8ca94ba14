package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a UML COW file keeps its fields, bitmap and data, written down a second time straight from the spec
 * (uml-cow-format.md sections 3 and 4.1) so the on-disk checks do not trust the code they check. Only what
 * uml_mkcow and cow-layers create: sector size 512, V3 alignment 4096, packed V3.
 */
record CowGeometry(int version, long size) {
    static final int SECTOR = 512;
    static final int ALIGNMENT = 4096;
    static final int MAGIC = 0x4F4F4F4D;

    CowGeometry {
        if (version < 1 || version > 3) {
            throw new IllegalArgumentException("UML COW version " + version);
        }
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

    int sizeOffset() {
        return mtimeOffset() + 4;
    }

    int backingOffset() {
        return version == 3 ? 32 : 8;
    }

    long bitmapOffset() {
        return switch (version) {
            case 1 -> 280;
            case 2 -> 4120;
            default -> roundUp(4128, ALIGNMENT);
        };
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

    private static long roundUp(long x, long unit) {
        return (x + unit - 1) / unit * unit;
    }
}
