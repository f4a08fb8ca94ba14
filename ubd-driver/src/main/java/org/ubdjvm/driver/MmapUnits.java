package org.ubdjvm.driver;

/**
 * The seed's {@code M} letter: how much to map at a time, in pages, for the bitmap/index and for data.
 * The seed's default: one page for the bitmap, no mapping of data.
 */
public record MmapUnits(int bitmapPages, int dataPages) {
    public static final MmapUnits DEFAULT = new MmapUnits(1, 0);
}
