package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.ubdjvm.hostio.IoCompletion;

/**
 * A contiguous part of another image as a disk of its own: request offsets are shifted by {@code start} and bounded
 * to {@code size}. What the DISK and HEADER formats serve their data through (the data starts after a header, or
 * somewhere in a data file), and a partition extracted by {@code ubd convert --partition}.
 */
public final class ImageWindow implements BlockImage {
    private final BlockImage below;
    private final long start;
    private final long size;
    private final int sectorSize;

    /**
     * @param below      the image the window looks into; closed with the window
     * @param start      where the window starts in {@code below}, a multiple of {@code below}'s sector size
     * @param size       bytes the window holds, a multiple of {@code sectorSize}, within {@code below}
     * @param sectorSize the window's sector size, a multiple of {@code below}'s
     */
    public ImageWindow(BlockImage below, long start, long size, int sectorSize) {
        if (start < 0 || size <= 0 || start % below.sectorSize() != 0 || sectorSize % below.sectorSize() != 0
                || size % sectorSize != 0) {
            throw new IllegalArgumentException("window " + start + "+" + size + " (sector " + sectorSize
                    + ") does not fit sectors of " + below.sectorSize());
        }
        this.below = below;
        this.start = start;
        this.size = size;
        this.sectorSize = sectorSize;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean readOnly() {
        return below.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        below.read(start + offset, dst, done);
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        below.write(start + offset, src, done);
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        below.discard(start + offset, length, done);
    }

    @Override
    public void flush(IoCompletion done) {
        below.flush(done);
    }

    /** The run below, shifted back, and cut to whole sectors of this window (a run of the layer below may be finer). */
    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        Allocation run = below.allocation(start + offset, length);
        long bytes = run.length() < length ? Math.max(sectorSize, run.length() / sectorSize * sectorSize) : length;
        return new Allocation(offset, bytes, run.depth());
    }

    @Override
    public void plug() {
        below.plug();
    }

    @Override
    public void unplug() {
        below.unplug();
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return below.cancelOlderThan(age);
    }

    /** The image below, described as this window: its size and where the window starts in it. */
    @Override
    public ImageInfo info() throws IOException {
        ImageInfo i = below.info();
        return new ImageInfo(i.filename(), i.format(), size, sectorSize, i.fileLength(), null, i.backingFilename(),
                Map.of("window-offset", start), i.backing(), null);
    }

    @Override
    public void close() throws IOException {
        below.close();
    }
}
