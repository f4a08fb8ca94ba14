package org.ubdjvm.props;

/**
 * What one file of a stack is: the raw base, or a UML COW file of one version and layout. The label is what
 * recipes and failure messages show ("V3 over V3-old64 over raw").
 */
enum LayerKind {
    RAW(0, "raw"),
    V1(1, "V1"),
    V2(2, "V2"),
    V3(3, "V3"),
    /** V3-old64: version 3 in the padded layout 64-bit builds wrote before Dec 2005 (spec 3.4). */
    V3_OLD64(3, "V3-old64");

    /** The COW kinds, the order recipes draw them in. */
    static final LayerKind[] COW = {V3, V2, V1, V3_OLD64};

    private final int version;
    private final String label;

    LayerKind(int version, String label) {
        this.version = version;
        this.label = label;
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

    /** Short, for file names. */
    String fileTag() {
        return old64() ? "v3-old64" : "v" + version;
    }

    @Override
    public String toString() {
        return label;
    }
}
