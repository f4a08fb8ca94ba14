package org.ubdjvm.cow;

import java.nio.ByteOrder;

/**
 * Where each field of a UML COW header lives, per version (spec section 3). The versions differ only in these
 * positions, the byte order and two rounding rules, so one codec ({@link UmlCowHeader}) reads and writes them all.
 * An offset of -1 means the version has no such field.
 *
 * @param name           what users see ("V3", "V3-old64")
 * @param version        the version field's value
 * @param order          byte order of every field but the magic
 * @param headerSize     bytes the header occupies
 * @param backingOffset  start of the NUL-terminated backing path
 * @param backingLength  bytes reserved for it (the NUL included)
 * @param mtimeOffset    32-bit backing mtime
 * @param sizeOffset     64-bit backing size
 * @param sectorOffset   32-bit sector size
 * @param alignOffset    32-bit alignment, or -1 (then the alignment is the sector size)
 * @param formatOffset   32-bit cow_format, or -1
 * @param floorBitmap    V1/V2 "rounding bug": bitmap_len = (size + ss - 1) / (8 * ss), which drops the last bits
 *                       when size is not a multiple of 8 sectors
 */
record UmlCowLayout(String name, int version, ByteOrder order, int headerSize, int backingOffset, int backingLength,
                    int mtimeOffset, int sizeOffset, int sectorOffset, int alignOffset, int formatOffset,
                    boolean floorBitmap) {

    static final int MAGIC = 0x4F4F4F4D;

    static final UmlCowLayout V1 = new UmlCowLayout("V1", 1, ByteOrder.LITTLE_ENDIAN, 280,
            8, 256, 264, 268, 276, -1, -1, true);
    static final UmlCowLayout V2 = new UmlCowLayout("V2", 2, ByteOrder.BIG_ENDIAN, 4120,
            8, 4096, 4104, 4108, 4116, -1, -1, true);
    static final UmlCowLayout V3 = new UmlCowLayout("V3", 3, ByteOrder.BIG_ENDIAN, 4128,
            32, 4096, 8, 12, 20, 24, 28, false);
    /**
     * V3-old64: 64-bit builds before Dec 2005 padded the struct, 4 bytes after mtime and 4 at the end (the kernel
     * calls it "broken V3 file with 64-bit layout"). One name everywhere: V3_OLD64 here, option {@code old64} at
     * create, "V3-old64" where users read it.
     */
    static final UmlCowLayout V3_OLD64 = new UmlCowLayout("V3-old64", 3, ByteOrder.BIG_ENDIAN, 4136,
            36, 4096, 8, 16, 24, 28, 32, false);

    /** The layout a new file of {@code version} gets. */
    static UmlCowLayout forCreate(int version) {
        return switch (version) {
            case 1 -> V1;
            case 2 -> V2;
            case 3 -> V3;
            default -> throw new IllegalArgumentException("version " + version);
        };
    }

    boolean obsolete() {
        return version < 3;
    }

    long bitmapOffset(int alignment) {
        return alignOffset < 0 ? headerSize : ProbeBytes.roundUp(headerSize, alignment);
    }

    long bitmapLength(long size, int sectorSize) {
        if (floorBitmap) {
            return (size + sectorSize - 1) / (8L * sectorSize);
        }
        long sectors = (size + sectorSize - 1) / sectorSize;
        return (sectors + 7) / 8;
    }

    long dataOffset(long size, int sectorSize, int alignment) {
        long end = bitmapOffset(alignment) + bitmapLength(size, sectorSize);
        return ProbeBytes.roundUp(end, alignOffset < 0 ? sectorSize : alignment);
    }
}
