package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A decoded UML COW header, any version. {@link #decode} applies the kernel's reader algorithm (magic in either
 * byte order, version dispatch, the old 64-bit V3 test) and rejects what the kernel would choke on; {@link #encode}
 * writes what uml_mkcow writes, the bytes after the path's NUL zeroed.
 *
 * @param alignment data alignment; for V1/V2 (no such field) the sector size
 */
record UmlCowHeader(UmlCowLayout layout, long mtime, long size, int sectorSize, int alignment, int cowFormat,
                    String backingFile) {

    /** 2 GiB of bitmap = 8 TiB at 512-byte sectors; more cannot be held in one Java array. */
    private static final long MAX_BITMAP_BYTES = Integer.MAX_VALUE - 8;
    private static final int MAX_SECTOR_SIZE = 1 << 20;
    private static final int MAX_ALIGNMENT = 1 << 30;

    long bitmapOffset() {
        return layout.bitmapOffset(alignment);
    }

    /** Bitmap length by the version's own formula (what the kernel and uml_moo read). */
    long bitmapLength() {
        return layout.bitmapLength(size, sectorSize);
    }

    long dataOffset() {
        return layout.dataOffset(size, sectorSize, alignment);
    }

    long sectors() {
        return (size + sectorSize - 1) / sectorSize;
    }

    /**
     * Sectors whose bits the version's own bitmap formula covers: all of them for V3; for V1/V2 the rounding bug
     * drops the last ones of a size that is not a multiple of 8 sectors, and those cannot be recorded.
     */
    long recordableSectors() {
        return layout.floorBitmap() ? Math.min(bitmapLength() * 8, sectors()) : sectors();
    }

    /** Whether bytes 0..7 start a UML COW header (magic in either byte order), without checking anything else. */
    static boolean hasMagic(byte[] head) {
        return head.length >= 4 && (intAt(head, 0, ByteOrder.LITTLE_ENDIAN) == UmlCowLayout.MAGIC
                || intAt(head, 0, ByteOrder.BIG_ENDIAN) == UmlCowLayout.MAGIC);
    }

    static UmlCowHeader decode(ProbeBytes head) throws ImageException {
        Path file = head.file();
        byte[] b = head.bytes();
        if (b.length < 8) {
            throw new ImageException(file, "short header: the file has " + b.length
                    + " bytes, a UML COW header needs at least 8 (read_cow_header - short header)");
        }
        ByteOrder magicOrder;
        if (intAt(b, 0, ByteOrder.LITTLE_ENDIAN) == UmlCowLayout.MAGIC) {
            magicOrder = ByteOrder.LITTLE_ENDIAN;
        } else if (intAt(b, 0, ByteOrder.BIG_ENDIAN) == UmlCowLayout.MAGIC) {
            magicOrder = ByteOrder.BIG_ENDIAN;
        } else {
            throw ImageException.field(file, "magic", 0, String.format(
                    "bad magic 0x%08X, expected 0x%08X (\"OOOM\"): not a UML COW file",
                    intAt(b, 0, ByteOrder.BIG_ENDIAN), UmlCowLayout.MAGIC));
        }
        int version = intAt(b, 4, magicOrder);
        UmlCowLayout layout = switch (version) {
            case 1 -> UmlCowLayout.V1;
            case 2 -> UmlCowLayout.V2;
            // A packed V3 has its backing path at 32; a real path never starts with four NULs, so four zero bytes
            // there mean the old padded layout, whose cow_format (0) sits at 32. The kernel uses the same test.
            case 3 -> b.length >= 36 && intAt(b, 32, ByteOrder.BIG_ENDIAN) == 0
                    ? UmlCowLayout.V3_OLD64 : UmlCowLayout.V3;
            default -> throw ImageException.field(file, "version", 4,
                    "unsupported COW version " + Integer.toUnsignedString(version) + " (known: 1, 2, 3)");
        };
        if (b.length < layout.headerSize()) {
            throw new ImageException(file, "truncated " + layout.name() + " header: the file has " + head.fileLength()
                    + " bytes, the header needs " + layout.headerSize());
        }
        ByteOrder o = layout.order();
        long mtime = Integer.toUnsignedLong(intAt(b, layout.mtimeOffset(), o));
        long size = longAt(b, layout.sizeOffset(), o);
        int sectorSize = intAt(b, layout.sectorOffset(), o);
        int alignment = layout.alignOffset() < 0 ? sectorSize : intAt(b, layout.alignOffset(), o);
        // cow_format is written without byte swapping by the C code; 0 reads the same either way.
        int cowFormat = layout.formatOffset() < 0 ? 0 : intAt(b, layout.formatOffset(), o);
        String backing = cString(file, b, layout);
        UmlCowHeader h = new UmlCowHeader(layout, mtime, size, sectorSize, alignment, cowFormat, backing);
        h.validate(file);
        return h;
    }

    /** The checks the kernel lacks (it divides by a zero alignment); every field named with its offset. */
    void validate(Path file) throws ImageException {
        if (sectorSize < 512 || sectorSize > MAX_SECTOR_SIZE || Integer.bitCount(sectorSize) != 1) {
            throw ImageException.field(file, "sectorsize", layout.sectorOffset(), "invalid sector size "
                    + Integer.toUnsignedString(sectorSize) + " (must be a power of two from 512 to " + MAX_SECTOR_SIZE + ")");
        }
        if (layout.alignOffset() >= 0 && (alignment <= 0 || alignment > MAX_ALIGNMENT || Integer.bitCount(alignment) != 1)) {
            throw ImageException.field(file, "alignment", layout.alignOffset(), "invalid alignment "
                    + Integer.toUnsignedString(alignment) + " (must be a power of two, at most " + MAX_ALIGNMENT + ")");
        }
        if (cowFormat != 0) {
            throw ImageException.field(file, "cow_format", layout.formatOffset(), "unsupported cow_format "
                    + Integer.toUnsignedString(cowFormat) + " (only 0, the bitmap format, is defined)");
        }
        if (size < 0 || (size + sectorSize - 1) / sectorSize / 8 > MAX_BITMAP_BYTES) {
            throw ImageException.field(file, "size", layout.sizeOffset(), "disk size " + Long.toUnsignedString(size)
                    + " is too large (at most " + MAX_BITMAP_BYTES * 8 + " sectors)");
        }
    }

    byte[] encode(Path file) throws ImageException {
        byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
        if (name.length >= layout.backingLength() || name.length == 0) {
            throw new ImageException(file, "backing file name \"" + backingFile + "\" is "
                    + (name.length == 0 ? "empty" : "too long - " + layout.name() + " names are limited to "
                    + (layout.backingLength() - 1) + " bytes"));
        }
        ByteBuffer buf = ByteBuffer.allocate(layout.headerSize());
        buf.order(layout.order()).putInt(0, UmlCowLayout.MAGIC).putInt(4, layout.version());
        buf.put(layout.backingOffset(), name);
        buf.putInt(layout.mtimeOffset(), (int) mtime).putLong(layout.sizeOffset(), size)
                .putInt(layout.sectorOffset(), sectorSize);
        if (layout.alignOffset() >= 0) {
            buf.putInt(layout.alignOffset(), alignment).putInt(layout.formatOffset(), cowFormat);
        }
        return buf.array();
    }

    private static String cString(Path file, byte[] b, UmlCowLayout layout) throws ImageException {
        int start = layout.backingOffset();
        int end = start;
        int limit = start + layout.backingLength();
        while (end < limit && b[end] != 0) {
            end++;
        }
        if (end == limit) {
            throw ImageException.field(file, "backing_file", start, "backing file name is not NUL-terminated");
        }
        // Bytes after the NUL are undefined (the kernel leaves junk there), so they are ignored.
        return new String(b, start, end - start, StandardCharsets.UTF_8);
    }

    static int intAt(byte[] b, int offset, ByteOrder order) {
        return ByteBuffer.wrap(b, offset, 4).order(order).getInt();
    }

    private static long longAt(byte[] b, int offset, ByteOrder order) {
        return ByteBuffer.wrap(b, offset, 8).order(order).getLong();
    }
}
