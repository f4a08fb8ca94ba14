package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code ubd info} reports for one layer; {@code backing} is the layer below (null at the bottom).
 *
 * @param formatSpecific format fields in display order (kebab-case keys, as qemu-img prints them)
 * @param geometry       the C/H/S this layer records for its disk (DISK, HEADER), or null: the driver takes the
 *                       uppermost layer's that has one
 */
public record ImageInfo(
        Path filename,
        String format,
        long virtualSize,
        int sectorSize,
        long fileLength,
        Long allocatedBytes,
        String backingFilename,
        Map<String, Object> formatSpecific,
        ImageInfo backing,
        DiskGeometry geometry) {

    /** A layer that records no geometry. */
    public ImageInfo(Path filename, String format, long virtualSize, int sectorSize, long fileLength,
                     Long allocatedBytes, String backingFilename, Map<String, Object> formatSpecific,
                     ImageInfo backing) {
        this(filename, format, virtualSize, sectorSize, fileLength, allocatedBytes, backingFilename, formatSpecific,
                backing, null);
    }

    /** The geometry of the uppermost layer of this chain that records one, or null. */
    public DiskGeometry chainGeometry() {
        return geometry != null ? geometry : backing == null ? null : backing.chainGeometry();
    }

    /** The file of each layer of this chain, this one first. */
    public List<Path> files() {
        List<Path> files = new ArrayList<>();
        for (ImageInfo layer = this; layer != null; layer = layer.backing()) {
            files.add(layer.filename());
        }
        return files;
    }

    /** Layers in this chain, this one included. */
    public int depth() {
        return backing == null ? 1 : 1 + backing.depth();
    }
}
