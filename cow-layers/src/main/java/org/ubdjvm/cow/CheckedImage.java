package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ubdjvm.hostio.IoCompletion;

/**
 * What {@link FormatTable#open} hands out: a format's image behind the one request check every format shares, so a
 * format cannot forget it and none repeats it, and, on a read-write raw image whose format was probed, the
 * {@link ProbedRawGuard}. Everything else passes straight through.
 */
final class CheckedImage extends ForwardingBlockImage {
    private final Path file;
    /** Null unless the image is raw by probing and writable. */
    private final ProbedRawGuard guard;

    CheckedImage(Path file, BlockImage image) {
        this(file, image, null);
    }

    CheckedImage(Path file, BlockImage image, ProbedRawGuard guard) {
        super(image);
        this.file = file;
        this.guard = guard;
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        if (passes(offset, dst.remaining(), false, done)) {
            delegate.read(offset, dst, done);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        if (!passes(offset, src.remaining(), true, done)) {
            return;
        }
        if (guard != null && guard.covers(offset)) {
            guard.write(offset, src, done, checked -> delegate.write(offset, src, checked));
        } else {
            delegate.write(offset, src, done);
        }
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        if (!passes(offset, length, true, done)) {
            return;
        }
        if (guard != null && guard.covers(offset)) {
            guard.discard(offset, length, done, checked -> delegate.discard(offset, length, checked));
        } else {
            delegate.discard(offset, length, done);
        }
    }

    /** Whether the request may go on; if not, it is completed with the reason. */
    private boolean passes(long offset, long length, boolean write, IoCompletion done) {
        ImageException bad = RequestCheck.check(file, delegate, offset, length, write);
        if (bad != null) {
            done.done(0, bad);
        }
        return bad == null;
    }

    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        ImageException bad = RequestCheck.check(file, delegate, offset, length, false);
        if (bad != null) {
            throw bad;
        }
        if (length == 0) {
            throw new ImageException(file, "allocation query of 0 bytes at offset " + offset + " (length must be positive)");
        }
        Allocation run = delegate.allocation(offset, length);
        if (run.offset() != offset || run.length() > length || run.length() % delegate.sectorSize() != 0) {
            throw new IllegalStateException(file + ": format answered the allocation query " + offset + "+" + length
                    + " with " + run);
        }
        return run;
    }
}
