package org.ubdjvm.cow;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code ubd info} reports for one layer; {@code backing} is the layer below (null at the bottom).
 *
 * @param formatSpecific format fields in display order (kebab-case keys, as qemu-img prints them)
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
        ImageInfo backing) {

    /** Layers in this chain, this one included. */
    public int depth() {
        return backing == null ? 1 : 1 + backing.depth();
    }
}
