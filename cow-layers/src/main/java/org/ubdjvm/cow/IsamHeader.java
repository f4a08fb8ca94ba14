package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The ISAM header (docs/formats.md, "ISAM"): a UML COW V3 header with {@code cow_format} 1 (Jeff Dike's ruling in
 * the seed), then ISAM's own fields as (offset, length) pairs, 4608 bytes in all (nine 512-byte units). The V3 part is
 * poisoned for readers that ignore {@code cow_format} (the real kernel and uml_moo do): its size field is 2^64-1,
 * which no backing file has, so they refuse the file instead of reading the index as a bitmap or rewriting the header.
 *
 * @param mtime        backing mtime, seconds (64 bits; the V3 field keeps the low 32)
 * @param sectorSize   sector size of the virtual disk
 * @param diskSize     virtual size in bytes (the backing's size)
 * @param unitSize     allocation unit in bytes: what one index entry maps
 * @param backingName  the backing file's name as stored
 * @param areaEnd      end of the append area as of the last flush (a hint: the file may be longer after a crash)
 */
record IsamHeader(long mtime, int sectorSize, long diskSize, int unitSize, String backingName, long areaEnd) {
    static final int COW_FORMAT_ISAM = 1;
    static final int ISAM_MAGIC = 0x4953414D; // "ISAM"
    static final int ISAM_VERSION = 1;
    /** Header bytes: read and written in whole 512-byte units. */
    static final int HEADER_SIZE = 4608;
    static final long V3_POISON_SIZE = -1L; // 2^64 - 1 as an unsigned 64-bit size
    static final int V3_ALIGNMENT = 4096;
    /** What the kernel and uml_moo print as the backing file's name: no such file can exist under /dev/null. */
    static final String V3_POISON_NAME = "/dev/null/ISAM image (cow_format 1): an index, not a bitmap;"
            + " this reader cannot use it";

    // Field offsets (big-endian throughout).
    static final int OFF_V3_MTIME = 8;
    static final int OFF_V3_SIZE = 12;
    static final int OFF_V3_SECTORSIZE = 20;
    static final int OFF_V3_ALIGNMENT = 24;
    static final int OFF_COW_FORMAT = 28;
    static final int OFF_V3_BACKING = 32;
    static final int OFF_ISAM_MAGIC = 4128;
    static final int OFF_ISAM_VERSION = 4132;
    static final int OFF_DISK_SIZE = 4136;
    static final int OFF_UNIT_SIZE = 4144;
    static final int OFF_FLAGS = 4148;
    static final int OFF_MTIME = 4152;
    static final int OFF_NAME_OFFSET = 4160;
    static final int OFF_NAME_LENGTH = 4168;
    static final int OFF_DIR_OFFSET = 4176;
    static final int OFF_DIR_LENGTH = 4184;
    static final int OFF_AREA_OFFSET = 4192;
    static final int OFF_AREA_END = 4200;

    /** The backing name's region: right after the header, 4096 bytes (the NUL included). */
    static final long NAME_OFFSET = HEADER_SIZE;
    static final int NAME_SPACE = 4096;
    /** Index pages, directory pages and owner pages are this size and this aligned. */
    static final int PAGE = 4096;
    static final int ENTRIES_PER_PAGE = PAGE / 8;
    static final long DIR_OFFSET = ProbeBytes.roundUp(NAME_OFFSET + NAME_SPACE, PAGE);
    static final int MAX_UNIT = IsamArea.GROUP_DATA;
    private static final int MAX_SECTOR_SIZE = 64 * 1024;

    long units() {
        return (capacity() + unitSize - 1) / unitSize;
    }

    long capacity() {
        return ProbeBytes.roundUp(diskSize, sectorSize);
    }

    long directoryEntries() {
        return (units() + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    }

    long directoryLength() {
        return ProbeBytes.roundUp(directoryEntries() * 8, PAGE);
    }

    long areaOffset() {
        return DIR_OFFSET + directoryLength();
    }

    IsamArea area() {
        return new IsamArea(areaOffset());
    }

    IsamHeader withAreaEnd(long end) {
        return new IsamHeader(mtime, sectorSize, diskSize, unitSize, backingName, end);
    }

    /** Whether the first bytes are an ISAM header: the UML COW magic (big-endian), version 3, cow_format 1, "ISAM". */
    static boolean claims(byte[] b) {
        return b.length >= OFF_ISAM_MAGIC + 4 && UmlCowHeader.intAt(b, 0, java.nio.ByteOrder.BIG_ENDIAN) == UmlCowLayout.MAGIC
                && intAt(b, 4) == 3 && intAt(b, OFF_COW_FORMAT) == COW_FORMAT_ISAM && intAt(b, OFF_ISAM_MAGIC) == ISAM_MAGIC;
    }

    /**
     * Decodes and validates the header: every field named with its offset when wrong. {@code head} holds the first
     * bytes (at least {@link #HEADER_SIZE}); {@code name} the backing name region.
     */
    static IsamHeader decode(Path file, byte[] head, long fileLength, byte[] nameRegion) throws ImageException {
        if (!claims(head)) {
            throw new ImageException(file, "not an ISAM image (UML COW magic, version 3, cow_format 1 and \"ISAM\" at "
                    + OFF_ISAM_MAGIC + " expected)");
        }
        if (head.length < HEADER_SIZE) {
            throw new ImageException(file, "truncated ISAM header: the file has " + fileLength + " bytes, the header needs "
                    + HEADER_SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(head);
        requireField(file, "isam_version", OFF_ISAM_VERSION, b.getInt(OFF_ISAM_VERSION) == ISAM_VERSION,
                "unsupported ISAM version " + Integer.toUnsignedString(b.getInt(OFF_ISAM_VERSION)) + " (known: 1)");
        requireField(file, "size", OFF_V3_SIZE, b.getLong(OFF_V3_SIZE) == V3_POISON_SIZE,
                "must be 2^64-1 in an ISAM header (so readers of bitmap COWs refuse it), not "
                        + Long.toUnsignedString(b.getLong(OFF_V3_SIZE)));
        requireField(file, "flags", OFF_FLAGS, b.getInt(OFF_FLAGS) == 0, "unknown flags 0x"
                + Integer.toHexString(b.getInt(OFF_FLAGS)));
        int ss = b.getInt(OFF_V3_SECTORSIZE);
        requireField(file, "sectorsize", OFF_V3_SECTORSIZE, ss >= 512 && ss <= MAX_SECTOR_SIZE && Integer.bitCount(ss) == 1,
                "invalid sector size " + Integer.toUnsignedString(ss) + " (must be a power of two from 512 to " + MAX_SECTOR_SIZE + ")");
        int unit = b.getInt(OFF_UNIT_SIZE);
        requireField(file, "unit_size", OFF_UNIT_SIZE, validUnit(unit, ss), "invalid allocation unit "
                + Integer.toUnsignedString(unit) + " (must be a power of two from the sector size " + ss + " to " + MAX_UNIT + ")");
        long size = b.getLong(OFF_DISK_SIZE);
        requireField(file, "disk_size", OFF_DISK_SIZE, size > 0 && size <= Long.MAX_VALUE / 2,
                "invalid disk size " + Long.toUnsignedString(size));
        long nameOffset = b.getLong(OFF_NAME_OFFSET);
        long nameLength = b.getLong(OFF_NAME_LENGTH);
        requireField(file, "backing_name_offset", OFF_NAME_OFFSET, nameOffset == NAME_OFFSET,
                "backing name at " + nameOffset + ", must be " + NAME_OFFSET);
        requireField(file, "backing_name_length", OFF_NAME_LENGTH, nameLength > 0 && nameLength < NAME_SPACE,
                "invalid backing name length " + nameLength + " (1 to " + (NAME_SPACE - 1) + ")");
        if (nameRegion.length < nameLength) {
            throw new ImageException(file, "backing name (offset " + nameOffset + ", " + nameLength
                    + " bytes) lies past the end of the file (" + fileLength + " bytes)");
        }
        String name = new String(nameRegion, 0, (int) nameLength, StandardCharsets.UTF_8);
        requireField(file, "backing_name", (int) nameOffset, name.indexOf('\0') < 0, "backing name contains a NUL");
        IsamHeader h = new IsamHeader(b.getLong(OFF_MTIME), ss, size, unit, name, b.getLong(OFF_AREA_END));
        requireField(file, "directory_offset", OFF_DIR_OFFSET, b.getLong(OFF_DIR_OFFSET) == DIR_OFFSET,
                "directory at " + b.getLong(OFF_DIR_OFFSET) + ", must be " + DIR_OFFSET);
        requireField(file, "directory_length", OFF_DIR_LENGTH, b.getLong(OFF_DIR_LENGTH) == h.directoryLength(),
                "directory of " + b.getLong(OFF_DIR_LENGTH) + " bytes; a " + size + "-byte disk in " + unit
                        + "-byte units needs " + h.directoryLength());
        requireField(file, "area_offset", OFF_AREA_OFFSET, b.getLong(OFF_AREA_OFFSET) == h.areaOffset(),
                "append area at " + b.getLong(OFF_AREA_OFFSET) + ", must follow the directory at " + h.areaOffset());
        requireField(file, "area_end", OFF_AREA_END, h.areaEnd() >= h.areaOffset(),
                "area end " + h.areaEnd() + " lies before the area (" + h.areaOffset() + ")");
        return h;
    }

    static boolean validUnit(long unit, int sectorSize) {
        return unit >= sectorSize && unit <= MAX_UNIT && Long.bitCount(unit) == 1;
    }

    /**
     * The header's bytes ({@link #HEADER_SIZE}) after checking that its regions (header, backing name, directory,
     * append area) lie in that order without overlapping: the check every header write goes through.
     */
    byte[] encode(Path file) throws ImageException {
        byte[] name = backingName.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= NAME_SPACE) {
            throw new ImageException(file, "backing file name \"" + backingName + "\" is " + (name.length == 0 ? "empty"
                    : "too long - names are limited to " + (NAME_SPACE - 1) + " bytes"));
        }
        if (!validUnit(unitSize, sectorSize) || diskSize <= 0) {
            throw new IllegalStateException("invalid ISAM header " + this);
        }
        requireOrdered(file, 0, HEADER_SIZE, "header", NAME_OFFSET, NAME_OFFSET + name.length + 1, "backing name");
        requireOrdered(file, NAME_OFFSET, NAME_OFFSET + NAME_SPACE, "backing name", DIR_OFFSET, DIR_OFFSET + directoryLength(),
                "directory");
        requireOrdered(file, DIR_OFFSET, DIR_OFFSET + directoryLength(), "directory", areaOffset(), Math.max(areaEnd, areaOffset()),
                "append area");
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, UmlCowLayout.MAGIC).putInt(4, 3).putInt(OFF_V3_MTIME, (int) mtime).putLong(OFF_V3_SIZE, V3_POISON_SIZE)
                .putInt(OFF_V3_SECTORSIZE, sectorSize).putInt(OFF_V3_ALIGNMENT, V3_ALIGNMENT).putInt(OFF_COW_FORMAT, COW_FORMAT_ISAM)
                .put(OFF_V3_BACKING, V3_POISON_NAME.getBytes(StandardCharsets.US_ASCII));
        b.putInt(OFF_ISAM_MAGIC, ISAM_MAGIC).putInt(OFF_ISAM_VERSION, ISAM_VERSION).putLong(OFF_DISK_SIZE, diskSize)
                .putInt(OFF_UNIT_SIZE, unitSize).putInt(OFF_FLAGS, 0).putLong(OFF_MTIME, mtime)
                .putLong(OFF_NAME_OFFSET, NAME_OFFSET).putLong(OFF_NAME_LENGTH, name.length)
                .putLong(OFF_DIR_OFFSET, DIR_OFFSET).putLong(OFF_DIR_LENGTH, directoryLength())
                .putLong(OFF_AREA_OFFSET, areaOffset()).putLong(OFF_AREA_END, areaEnd);
        return b.array();
    }

    /** The backing name region as written: the name, a NUL, zeros. */
    byte[] encodeName() {
        byte[] region = new byte[NAME_SPACE];
        byte[] name = backingName.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(name, 0, region, 0, name.length);
        return region;
    }

    private static void requireOrdered(Path file, long aFrom, long aTo, String a, long bFrom, long bTo, String bName)
            throws ImageException {
        if (aTo > bFrom || bTo < bFrom) {
            throw new ImageException(file, "refusing to write a header whose regions overlap: " + a + " [" + aFrom + ", "
                    + aTo + ") and " + bName + " [" + bFrom + ", " + bTo + ")");
        }
    }

    private static void requireField(Path file, String field, int offset, boolean ok, String reason) throws ImageException {
        if (!ok) {
            throw ImageException.field(file, field, offset, reason);
        }
    }

    private static int intAt(byte[] b, int offset) {
        return ByteBuffer.wrap(b, offset, 4).getInt();
    }
}
