package org.ubdjvm.cow;

/**
 * Where things live in an ISAM file's append area, which follows the directory and grows with what is written. The
 * area is a run of groups: one owner page (4 KiB, 512 entries) then 256 KiB of data in 512-byte granules. The owner
 * entry of a granule names what starts there (the reverse of the index: data unit u, or the index page of directory
 * entry d; 0 for nothing), so a read can tell an entry that points at someone else's data before following it.
 * Positions in the area ("p") count data bytes only; the file offset adds the owner pages in between.
 *
 * @param areaOffset file offset of the first group (a multiple of 4096)
 */
record IsamArea(long areaOffset) {
    static final int GRANULE = 512;
    static final int GROUP_DATA = 256 * 1024;
    static final int GROUP_BYTES = IsamHeader.PAGE + GROUP_DATA;
    private static final long INDEX_TAG = Long.MIN_VALUE;

    /** The owner tag of data unit {@code unit}. */
    static long dataTag(long unit) {
        return unit + 1;
    }

    /** The owner tag of the index page that directory entry {@code dirIndex} points at. */
    static long indexTag(long dirIndex) {
        return INDEX_TAG | (dirIndex + 1);
    }

    static String describeTag(long tag) {
        if (tag == 0) {
            return "nothing";
        }
        return tag < 0 ? "the index page of directory entry " + ((tag & Long.MAX_VALUE) - 1) : "data unit " + (tag - 1);
    }

    /** File offset of area position {@code p}. */
    long fileOffset(long p) {
        return areaOffset + p / GROUP_DATA * GROUP_BYTES + IsamHeader.PAGE + p % GROUP_DATA;
    }

    /** The area position of a file offset inside some group's data, or -1 (before the area, or in an owner page). */
    long position(long fileOffset) {
        if (fileOffset < areaOffset) {
            return -1;
        }
        long rel = fileOffset - areaOffset;
        long inGroup = rel % GROUP_BYTES - IsamHeader.PAGE;
        return inGroup < 0 ? -1 : rel / GROUP_BYTES * GROUP_DATA + inGroup;
    }

    /** File offset of the owner page of the group holding position {@code p}. */
    long ownerPage(long p) {
        return areaOffset + p / GROUP_DATA * GROUP_BYTES;
    }

    /** File offset of the owner entry of the granule at position {@code p}. */
    long ownerEntry(long p) {
        return ownerPage(p) + p % GROUP_DATA / GRANULE * 8;
    }

    /**
     * The first area position whose bytes are not in a file of {@code fileLength} bytes: where appending resumes
     * (whole granules; a group whose owner page is cut short starts afresh).
     */
    long positionAtLength(long fileLength) {
        if (fileLength <= areaOffset) {
            return 0;
        }
        long rel = fileLength - areaOffset;
        long inGroup = rel % GROUP_BYTES - IsamHeader.PAGE;
        long p = rel / GROUP_BYTES * GROUP_DATA + Math.max(0, inGroup);
        return ProbeBytes.roundUp(p, GRANULE);
    }

    /**
     * Whether {@code [p, p + length)} at {@code p} (aligned to {@code align}) is a place an allocation of that size
     * could be: aligned and inside one group.
     */
    static boolean fits(long p, long length, long align) {
        return p >= 0 && p % align == 0 && p / GROUP_DATA == (p + length - 1) / GROUP_DATA;
    }
}
