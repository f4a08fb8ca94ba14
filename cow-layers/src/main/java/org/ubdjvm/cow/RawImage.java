package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/** A raw file as a disk. Its size is the file's length; reads past the end of the file return zeros. */
final class RawImage implements BlockImage {
    static final int SECTOR_SIZE = 512;

    private final HostFile file;
    private final IoEngine engine;
    private final long size;

    private final Recycler<WholeTransfer> transfers = new Recycler<>(64, () -> new WholeTransfer(this.transfers));

    RawImage(HostFile file, IoEngine engine) throws IOException {
        this.file = file;
        this.engine = engine;
        this.size = file.size();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return Math.max(SECTOR_SIZE, file.directAlignment()); // O_DIRECT: whole blocks only
    }

    @Override
    public boolean readOnly() {
        return file.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        engine.read(file, dst, offset, transfers.take().ofRead(dst, done));
        engine.submit(); // async engines only queue until told
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        engine.write(file, src, offset, transfers.take().ofWrite(src, done));
        engine.submit();
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        engine.punchHole(file, offset, length, done);
    }

    @Override
    public void flush(IoCompletion done) {
        engine.datasync(file, done);
        engine.submit();
    }

    /** A raw file holds every byte of its disk itself. */
    @Override
    public Allocation allocation(long offset, long length) {
        return new Allocation(offset, length, 0);
    }

    @Override
    public void plug() {
        engine.plug();
    }

    @Override
    public void unplug() {
        engine.unplug();
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return engine.cancelOlderThan(age);
    }

    @Override
    public ImageInfo info() throws IOException {
        return new ImageInfo(file.path(), RawFormat.NAME, size, SECTOR_SIZE, file.size(), null, null, Map.of(), null);
    }

    /** Flushes first when writable, as {@link BlockImage#close()} promises. */
    @Override
    public void close() throws IOException {
        try {
            if (!file.readOnly()) {
                BlockIo.flush(this);
            }
        } finally {
            file.close();
        }
    }
}
