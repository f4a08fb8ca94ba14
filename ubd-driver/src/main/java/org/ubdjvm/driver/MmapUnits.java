package org.ubdjvm.driver;

/**
 * The seed's {@code M} letter: how much to map at a time, in pages, for the bitmap/index and for data.
 * The seed's default: one page for the bitmap, no mapping of data. The bitmap unit is the page size of the layers'
 * metadata caches (cow-layers' {@code MetadataPages}); a power of two.
 */
public record MmapUnits(int bitmapPages, int dataPages) {
    public static final MmapUnits DEFAULT = new MmapUnits(1, 0);
    /** The largest bitmap/index unit: 16 MiB, the default cache's size. */
    public static final int MAX_BITMAP_PAGES = 4096;

    /** The unit a layer's bitmap/index pages are loaded and written in. */
    public int bitmapBytes() {
        return bitmapPages * DeviceSpec.PAGE;
    }
}
