package org.ubdjvm.props;

/**
 * Where an ISAM file (default unit: one 512-byte sector) keeps its header, directory and append area, written down a
 * second time from docs/formats.md so the checks do not trust the code they check.
 */
final class IsamGeometry {
    static final int HEADER = 4608;
    /** The 512-byte unit of the header holding area_end (offset 4200), the one part rewritten after create. */
    static final long AREA_END_SECTOR = 4096;
    static final long DIRECTORY = 12288;

    private IsamGeometry() {
    }

    /** Where the append area starts: after a directory of one 8-byte entry per 512 sectors, in whole 4 KiB. */
    static long areaOffset(long size) {
        long sectors = (size + 511) / 512;
        long entries = (sectors + 511) / 512;
        return DIRECTORY + (entries * 8 + 4095) / 4096 * 4096;
    }
}
