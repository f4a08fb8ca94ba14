package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The header of the seed's DISK (geometry with the data after it, in one file) and HEADER (geometry in a file of its
 * own, the data in another) formats; docs/formats.md has the layout. One codec for both: they share every field but
 * HEADER's data-file fields. Big-endian, every region an (offset, length) pair, a CRC32C over the header so a torn
 * or damaged header is refused instead of misread. {@link #decode} checks every field and every overlap;
 * {@link #encode} decodes what it wrote before handing it out, so no header is written that would not open.
 *
 * @param kind          DISK or HEADER
 * @param flags         {@link #FLAG_PADDED}, {@link #FLAG_NAME_AS_GIVEN}
 * @param size          virtual disk size in bytes, a multiple of the sector size
 * @param geometry      the recorded C/H/S, or null (all three fields 0)
 * @param dataOffset    where the disk's first byte is: in this file (DISK) or in the data file (HEADER)
 * @param dataFileSize  HEADER: the data file's length when the header was last written; DISK: 0
 * @param dataFileMtime HEADER: its mtime in seconds then; DISK: 0
 * @param dataFileName  HEADER: the data file's name as stored; DISK: null
 */
record DiskHeader(Kind kind, int flags, long size, int sectorSize, int alignment, DiskGeometry geometry,
                  long dataOffset, long dataFileSize, long dataFileMtime, String dataFileName) {

    /** The two formats' magics, 8 ASCII bytes each, neither a UML COW magic in any byte order. */
    enum Kind {
        DISK("UBD-DISK", 72),
        HEADER("UBD-HEAD", 96);

        final byte[] magic;
        /** Bytes of fixed fields; HEADER's name follows them. */
        final int fixedLength;

        Kind(String magic, int fixedLength) {
            this.magic = magic.getBytes(StandardCharsets.US_ASCII);
            this.fixedLength = fixedLength;
        }
    }

    static final int VERSION = 1;
    static final int FLAG_PADDED = 1;
    static final int FLAG_NAME_AS_GIVEN = 2;
    static final int KNOWN_FLAGS = FLAG_PADDED | FLAG_NAME_AS_GIVEN;
    /** A raw device reads in these; P pads a header file to a multiple of it. */
    static final int UNIT = 512;
    static final int MIN_SECTOR = 512;
    static final int MAX_SECTOR = 65536;
    static final int MAX_ALIGNMENT = 65536;
    /** The whole header fits the bytes every probe reads. */
    static final int MAX_NAME = 4000;

    // field offsets (docs/formats.md)
    static final int VERSION_AT = 8;
    static final int LENGTH_AT = 12;
    static final int CRC_AT = 16;
    static final int FLAGS_AT = 20;
    static final int SIZE_AT = 24;
    static final int SECTOR_AT = 32;
    static final int ALIGN_AT = 36;
    static final int CYL_AT = 40;
    static final int HEADS_AT = 44;
    static final int SECTORS_AT = 48;
    static final int RESERVED_AT = 52;
    static final int DATA_OFFSET_AT = 56;
    static final int DATA_LENGTH_AT = 64;
    static final int FILE_SIZE_AT = 72;
    static final int MTIME_AT = 80;
    static final int NAME_OFFSET_AT = 88;
    static final int NAME_LENGTH_AT = 92;

    static boolean hasMagic(Kind kind, byte[] head) {
        return head.length >= kind.magic.length && Arrays.equals(head, 0, kind.magic.length, kind.magic, 0,
                kind.magic.length);
    }

    boolean padded() {
        return (flags & FLAG_PADDED) != 0;
    }

    /** Bytes of header fields, the name included; the CRC covers exactly these. */
    int length() {
        return kind.fixedLength + (dataFileName == null ? 0 : nameBytes().length);
    }

    /** What the header occupies in its file: its length, padded to 512 with P. */
    long paddedLength() {
        return padded() ? ProbeBytes.roundUp(length(), UNIT) : length();
    }

    private byte[] nameBytes() {
        return dataFileName.getBytes(StandardCharsets.UTF_8);
    }

    /** The header's bytes, {@link #paddedLength()} long; throws if they would not decode to this header. */
    byte[] encode(Path file) throws ImageException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(paddedLength()));
        b.put(0, kind.magic).putInt(VERSION_AT, VERSION).putInt(LENGTH_AT, length()).putInt(FLAGS_AT, flags)
                .putLong(SIZE_AT, size).putInt(SECTOR_AT, sectorSize).putInt(ALIGN_AT, alignment)
                .putLong(DATA_OFFSET_AT, dataOffset).putLong(DATA_LENGTH_AT, size);
        if (geometry != null) {
            b.putInt(CYL_AT, geometry.cylinders()).putInt(HEADS_AT, geometry.heads()).putInt(SECTORS_AT, geometry.sectors());
        }
        if (kind == Kind.HEADER) {
            byte[] name = nameBytes();
            b.putLong(FILE_SIZE_AT, dataFileSize).putLong(MTIME_AT, dataFileMtime)
                    .putInt(NAME_OFFSET_AT, kind.fixedLength).putInt(NAME_LENGTH_AT, name.length)
                    .put(kind.fixedLength, name);
        }
        byte[] bytes = b.array();
        ByteBuffer.wrap(bytes).putInt(CRC_AT, crc(bytes, length()));
        DiskHeader back = decode(kind, new ProbeBytes(file, Math.max(bytes.length, fileEnd()), bytes));
        if (!back.equals(this)) {
            throw new IllegalStateException("encoded header does not decode to itself: " + this + " / " + back);
        }
        return bytes;
    }

    /** The least length of the file the header is in: DISK holds its data, HEADER only itself. */
    long fileEnd() {
        return kind == Kind.DISK ? dataOffset + size : paddedLength();
    }

    static int crc(byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, CRC_AT);
        c.update(new byte[4]);
        c.update(bytes, CRC_AT + 4, length - CRC_AT - 4);
        return (int) c.getValue();
    }

    /**
     * Reads and checks a header: magic, version, length, CRC, flags, sizes (powers of two in range), geometry within
     * the disk, data region after the header and aligned, name within the header. Every refusal names the field and
     * its offset. The file's length is checked by the format, which knows what may lie past the header.
     */
    static DiskHeader decode(Kind kind, ProbeBytes head) throws ImageException {
        Path file = head.file();
        byte[] b = head.bytes();
        if (!hasMagic(kind, b)) {
            throw ImageException.field(file, "magic", 0, "not a " + kind + " file (expected \""
                    + new String(kind.magic, StandardCharsets.US_ASCII) + "\")");
        }
        if (b.length < kind.fixedLength) {
            throw new ImageException(file, "truncated " + kind + " header: the file has " + head.fileLength()
                    + " bytes, the header needs " + kind.fixedLength);
        }
        ByteBuffer in = ByteBuffer.wrap(b);
        int version = in.getInt(VERSION_AT);
        if (version != VERSION) {
            throw ImageException.field(file, "version", VERSION_AT, "unsupported " + kind + " version "
                    + Integer.toUnsignedString(version) + " (known: " + VERSION + ")");
        }
        int length = in.getInt(LENGTH_AT);
        if (length < kind.fixedLength || length > kind.fixedLength + MAX_NAME || length > b.length) {
            throw ImageException.field(file, "header_length", LENGTH_AT, "header length "
                    + Integer.toUnsignedString(length) + " is not within " + kind.fixedLength + ".."
                    + Math.min(kind.fixedLength + MAX_NAME, b.length) + (length > b.length ? " (past the end of the file)" : ""));
        }
        int crc = in.getInt(CRC_AT);
        if (crc != crc(b, length)) {
            throw ImageException.field(file, "header_crc", CRC_AT, String.format("checksum 0x%08x does not match"
                    + " the header (0x%08x): a torn or damaged header", crc, crc(b, length)));
        }
        int flags = in.getInt(FLAGS_AT);
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw ImageException.field(file, "flags", FLAGS_AT, "unknown flags 0x" + Integer.toHexString(flags));
        }
        int sectorSize = powerOfTwo(file, in, "sector_size", SECTOR_AT, MIN_SECTOR, MAX_SECTOR);
        int alignment = powerOfTwo(file, in, "alignment", ALIGN_AT, MIN_SECTOR, MAX_ALIGNMENT);
        long size = in.getLong(SIZE_AT);
        if (size <= 0 || size % sectorSize != 0) {
            throw ImageException.field(file, "size", SIZE_AT, "disk size " + Long.toUnsignedString(size)
                    + " is not a positive multiple of the sector size " + sectorSize);
        }
        if (in.getLong(DATA_LENGTH_AT) != size) {
            throw ImageException.field(file, "data_length", DATA_LENGTH_AT, "data length "
                    + Long.toUnsignedString(in.getLong(DATA_LENGTH_AT)) + " differs from the disk size " + size);
        }
        if (in.getInt(RESERVED_AT) != 0) {
            throw ImageException.field(file, "reserved", RESERVED_AT, "must be 0");
        }
        DiskGeometry geometry = geometry(file, in, size);
        long dataOffset = in.getLong(DATA_OFFSET_AT);
        long headerEnd = (flags & FLAG_PADDED) != 0 ? ProbeBytes.roundUp(length, UNIT) : length;
        if (dataOffset < 0 || dataOffset % alignment != 0 || dataOffset > Long.MAX_VALUE - size
                || (kind == Kind.DISK && dataOffset < headerEnd)) {
            throw ImageException.field(file, "data_offset", DATA_OFFSET_AT, "data offset "
                    + Long.toUnsignedString(dataOffset) + (kind == Kind.DISK && dataOffset >= 0 && dataOffset < headerEnd
                    ? " overlaps the header (" + headerEnd + " bytes)" : " is not a multiple of the alignment " + alignment));
        }
        if (kind == Kind.DISK) {
            return new DiskHeader(kind, flags, size, sectorSize, alignment, geometry, dataOffset, 0, 0, null);
        }
        long fileSize = in.getLong(FILE_SIZE_AT);
        if (fileSize < dataOffset + size) {
            throw ImageException.field(file, "data_file_size", FILE_SIZE_AT, "data file size "
                    + Long.toUnsignedString(fileSize) + " is less than the data's end " + (dataOffset + size));
        }
        int nameOffset = in.getInt(NAME_OFFSET_AT);
        int nameLength = in.getInt(NAME_LENGTH_AT);
        if (nameOffset != kind.fixedLength || nameLength < 1 || nameLength != length - kind.fixedLength) {
            throw ImageException.field(file, "data_file_name", NAME_OFFSET_AT, "name at "
                    + Integer.toUnsignedString(nameOffset) + "+" + Integer.toUnsignedString(nameLength)
                    + " is not the " + (length - kind.fixedLength) + " bytes after the fixed fields");
        }
        String name = new String(b, nameOffset, nameLength, StandardCharsets.UTF_8);
        if (name.indexOf('\0') >= 0) {
            throw ImageException.field(file, "data_file_name", nameOffset, "name contains a NUL byte");
        }
        return new DiskHeader(kind, flags, size, sectorSize, alignment, geometry, dataOffset, fileSize,
                in.getLong(MTIME_AT), name);
    }

    private static int powerOfTwo(Path file, ByteBuffer in, String field, int at, int min, int max)
            throws ImageException {
        int v = in.getInt(at);
        if (v < min || v > max || Integer.bitCount(v) != 1) {
            throw ImageException.field(file, field, at, Integer.toUnsignedString(v) + " is not a power of two from "
                    + min + " to " + max);
        }
        return v;
    }

    private static DiskGeometry geometry(Path file, ByteBuffer in, long size) throws ImageException {
        long c = Integer.toUnsignedLong(in.getInt(CYL_AT));
        long h = Integer.toUnsignedLong(in.getInt(HEADS_AT));
        long s = Integer.toUnsignedLong(in.getInt(SECTORS_AT));
        DiskGeometry g;
        try {
            g = DiskGeometry.ofHeader(c, h, s);
        } catch (IllegalArgumentException e) {
            throw ImageException.field(file, "cylinders", CYL_AT, "geometry " + e.getMessage());
        }
        if (g != null && g.capacityBytes() > size) {
            throw ImageException.field(file, "cylinders", CYL_AT, "geometry " + g + " describes "
                    + g.capacityBytes() + " bytes, more than the disk's " + size);
        }
        return g;
    }

    /** This header with a new data-file mtime (HEADER, after the data was written through it). */
    DiskHeader withDataFileMtime(long mtime) {
        return new DiskHeader(kind, flags, size, sectorSize, alignment, geometry, dataOffset, dataFileSize, mtime,
                dataFileName);
    }
}
