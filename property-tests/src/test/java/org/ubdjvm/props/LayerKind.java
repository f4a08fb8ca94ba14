package org.ubdjvm.props;

/**
 * What one file of a stack is: the raw base (or that base wrapped as a DISK or a HEADER), or a UML COW file of one
 * version and layout. The label is what recipes and failure messages show ("V3 over V3-old64 over raw").
 */
enum LayerKind {
    RAW(0, "raw"),
    V1(1, "V1"),
    V2(2, "V2"),
    V3(3, "V3"),
    /** V3-old64: version 3 in the padded layout 64-bit builds wrote before Dec 2005 (spec 3.4). */
    V3_OLD64(3, "V3-old64"),
    /** The base's bytes copied into a DISK file (the seed's header with geometry, data after it). */
    DISK(0, "DISK"),
    /** A HEADER file naming the raw base as its data file (the seed's separate header). */
    HEADER(0, "HEADER"),
    /** ISAM: the seed's V4, a V3 header with cow_format 1 and an index instead of a bitmap (docs/formats.md). */
    ISAM(4, "ISAM");

    /** The DISK file's data starts here (its default alignment); the oracle reads the data there. */
    static final int DISK_DATA_OFFSET = 4096;

    /** The COW kinds, the order recipes draw them in. */
    static final LayerKind[] COW = {V3, V2, V1, V3_OLD64, ISAM};

    private final int version;
    private final String label;

    LayerKind(int version, String label) {
        this.version = version;
        this.label = label;
    }

    /** The bottom of a stack: raw, or raw wrapped as DISK or HEADER; it holds every sector no COW layer holds. */
    boolean base() {
        return this == RAW || this == DISK || this == HEADER;
    }

    /** The format name {@code info()} reports for a base. */
    String baseFormat() {
        return this == RAW ? "raw" : this == DISK ? "disk" : "header";
    }

    /** 0 for raw, else the header's version field. */
    int version() {
        return version;
    }

    boolean old64() {
        return this == V3_OLD64;
    }

    /** V1 and V2 round their bitmap down: they cannot describe a disk whose size is not a multiple of 4096. */
    boolean needsAlignedSize() {
        return this == V1 || this == V2;
    }

    /** What {@code info().formatSpecific().get("layout")} reports. */
    String layoutName() {
        return label;
    }

    boolean isam() {
        return this == ISAM;
    }

    /** Short, for file names. */
    String fileTag() {
        return base() ? name().toLowerCase(java.util.Locale.ROOT) : old64() ? "v3-old64" : isam() ? "isam" : "v" + version;
    }

    @Override
    public String toString() {
        return label;
    }
}
