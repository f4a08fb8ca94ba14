package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ubdjvm.hostio.IoCompletion;

/**
 * What {@link FormatTable#open} hands out: a format's image behind the one request check every format shares, so a
 * format cannot forget it and none repeats it. Everything else passes straight through.
 */
final class CheckedImage implements BlockImage {
    private final Path file;
    private final BlockImage image;

    CheckedImage(Path file, BlockImage image) {
        this.file = file;
        this.image = image;
    }

    @Override
    public long size() {
        return image.size();
    }

    @Override
    public int sectorSize() {
        return image.sectorSize();
    }

    @Override
    public long capacity() {
        return image.capacity();
    }

    @Override
    public boolean readOnly() {
        return image.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        ImageException bad = RequestCheck.check(file, image, offset, dst.remaining(), false);
        if (bad != null) {
            done.done(0, bad);
        } else {
            image.read(offset, dst, done);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        ImageException bad = RequestCheck.check(file, image, offset, src.remaining(), true);
        if (bad != null) {
            done.done(0, bad);
        } else {
            image.write(offset, src, done);
        }
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        ImageException bad = RequestCheck.check(file, image, offset, length, true);
        if (bad != null) {
            done.done(0, bad);
        } else {
            image.discard(offset, length, done);
        }
    }

    @Override
    public void flush(IoCompletion done) {
        image.flush(done);
    }

    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        ImageException bad = RequestCheck.check(file, image, offset, length, false);
        if (bad != null) {
            throw bad;
        }
        if (length == 0) {
            throw new ImageException(file, "allocation query of 0 bytes at offset " + offset + " (length must be positive)");
        }
        Allocation run = image.allocation(offset, length);
        if (run.offset() != offset || run.length() > length || run.length() % image.sectorSize() != 0) {
            throw new IllegalStateException(file + ": format answered the allocation query " + offset + "+" + length
                    + " with " + run);
        }
        return run;
    }

    @Override
    public void plug() {
        image.plug();
    }

    @Override
    public void unplug() {
        image.unplug();
    }

    @Override
    public ImageInfo info() throws IOException {
        return image.info();
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
