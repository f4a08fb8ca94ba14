package org.ubdjvm.props;

import java.util.List;

/**
 * The files a sequence starts from: a raw base of {@code baseSize} bytes (backing text) and, over it, empty COW
 * layers of the given versions, bottom first.
 */
record DiskSetup(long baseSize, List<Integer> versions) {
    /** Every disk has at least this many sectors (64 KiB), so generated steps fit any of them. */
    static final long MIN_SECTORS = 128;

    DiskSetup {
        if (baseSize < MIN_SECTORS * SectorData.SECTOR) {
            throw new IllegalArgumentException("disks start at " + MIN_SECTORS + " sectors: " + baseSize + " B");
        }
        versions = List.copyOf(versions);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = versions.size() - 1; i >= 0; i--) {
            sb.append('V').append(versions.get(i)).append(" over ");
        }
        return sb.append("raw ").append(baseSize).append(" B").toString();
    }
}
