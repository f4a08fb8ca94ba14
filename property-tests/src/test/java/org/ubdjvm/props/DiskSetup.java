package org.ubdjvm.props;

import java.util.List;
import org.ubdjvm.cow.MetadataCacheOptions;

/**
 * The files a sequence starts from: a raw base of {@code baseSize} bytes (backing text) and, over it, empty COW
 * layers of the given kinds, bottom first; and the host I/O engine (a name {@code IoEngines.create} takes) the
 * images run on. With {@code servedBase} the base is reached through qemu-nbd's read-only export of it: the first
 * layer's backing is its NBD URI.
 */
record DiskSetup(long baseSize, List<LayerKind> layers, String engine, boolean servedBase,
                 MetadataCacheOptions metadata) {
    /** Every disk has at least this many sectors (64 KiB), so generated steps fit any of them. */
    static final long MIN_SECTORS = 128;

    DiskSetup {
        if (baseSize < MIN_SECTORS * SectorData.SECTOR) {
            throw new IllegalArgumentException("disks start at " + MIN_SECTORS + " sectors: " + baseSize + " B");
        }
        layers = List.copyOf(layers);
        for (int i = 1; i < layers.size(); i++) {
            if (layers.get(i).base()) {
                throw new IllegalArgumentException(layers.get(i) + " wraps the base: it can only be first");
            }
        }
        if (!layers.isEmpty() && layers.get(0).base() && baseSize % 4096 != 0) {
            throw new IllegalArgumentException(layers.get(0) + " over an odd " + baseSize + " B: whole 4 KiB only");
        }
        if (servedBase && (layers.isEmpty() || layers.get(0).base())) {
            throw new IllegalArgumentException("a served base is raw, with a COW layer over it");
        }
    }

    DiskSetup(long baseSize, List<LayerKind> layers, String engine, boolean servedBase) {
        this(baseSize, layers, engine, servedBase, MetadataCacheOptions.DEFAULT);
    }

    DiskSetup(long baseSize, List<LayerKind> layers, String engine) {
        this(baseSize, layers, engine, false);
    }

    /** On the sync engine. */
    DiskSetup(long baseSize, List<LayerKind> layers) {
        this(baseSize, layers, "sync");
    }

    /**
     * Bitmaps held in two pages of 8 bytes (64 sectors each), so nearly every step loads a page and evicts another,
     * writing it back when dirty.
     */
    DiskSetup withTinyBitmapCache() {
        return new DiskSetup(baseSize, layers, engine, servedBase, new MetadataCacheOptions(8, 16));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = layers.size() - 1; i >= 0; i--) {
            sb.append(layers.get(i)).append(" over ");
        }
        sb.append("raw ").append(baseSize).append(" B").append(servedBase ? " served by qemu-nbd" : "")
                .append(" on ").append(engine);
        return metadata.equals(MetadataCacheOptions.DEFAULT) ? sb.toString() : sb.append(", bitmap cache ")
                .append(metadata.cacheBytes()).append(" B in pages of ").append(metadata.pageSize()).toString();
    }
}
