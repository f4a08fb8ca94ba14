package org.ubdjvm.props;

import java.util.Arrays;

/**
 * The virtual disk as one plain byte array: sector-aligned writes copy into it, reads copy out. Obviously right, so
 * it is the oracle every read of a real image is compared with.
 */
final class DiskModel {
    static final int SECTOR = SectorData.SECTOR;

    private final byte[] bytes;

    /** A disk holding {@code content}, zero-padded to whole sectors (the tail of an odd-sized backing reads zero). */
    DiskModel(byte[] content) {
        this.bytes = Arrays.copyOf(content, roundUp(content.length));
    }

    static int roundUp(long length) {
        return Math.toIntExact((length + SECTOR - 1) / SECTOR * SECTOR);
    }

    long capacity() {
        return bytes.length;
    }

    long sectors() {
        return bytes.length / SECTOR;
    }

    void write(long offset, byte[] data) {
        System.arraycopy(data, 0, bytes, Math.toIntExact(offset), data.length);
    }

    byte[] read(long offset, int length) {
        return Arrays.copyOfRange(bytes, Math.toIntExact(offset), Math.toIntExact(offset) + length);
    }

    byte[] sector(long s) {
        return read(s * SECTOR, SECTOR);
    }

    DiskModel copy() {
        return new DiskModel(bytes);
    }

    /** Null when {@code actual} equals the disk from {@code offset} on; else which sector differs first and how. */
    String difference(long offset, byte[] actual) {
        int from = Math.toIntExact(offset);
        int mismatch = Arrays.mismatch(bytes, from, from + actual.length, actual, 0, actual.length);
        if (mismatch < 0) {
            return null;
        }
        int sectorStart = mismatch / SECTOR * SECTOR;
        return String.format("sector %d (byte %d of the disk) differs: expected %s, got %s",
                (from + mismatch) / SECTOR, from + mismatch,
                SectorData.preview(bytes, from + sectorStart), SectorData.preview(actual, sectorStart));
    }
}
