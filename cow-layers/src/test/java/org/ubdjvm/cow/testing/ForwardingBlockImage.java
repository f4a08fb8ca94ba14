package org.ubdjvm.cow.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.ubdjvm.cow.Allocation;
import org.ubdjvm.cow.BlockImage;
import org.ubdjvm.cow.ImageInfo;
import org.ubdjvm.hostio.IoCompletion;

/**
 * A {@link BlockImage} that passes every call to another (Lucene's {@code FilterDirectory}): a test's broken or
 * fault-injecting image overrides the one call it changes and cannot miss the others. {@code allocationMap} is left
 * to the interface's default, so it follows an overridden {@code allocation}.
 */
public abstract class ForwardingBlockImage implements BlockImage {
    protected final BlockImage inner;

    protected ForwardingBlockImage(BlockImage inner) {
        this.inner = inner;
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public int sectorSize() {
        return inner.sectorSize();
    }

    @Override
    public long capacity() {
        return inner.capacity();
    }

    @Override
    public boolean readOnly() {
        return inner.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        inner.read(offset, dst, done);
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        inner.write(offset, src, done);
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        inner.discard(offset, length, done);
    }

    @Override
    public void flush(IoCompletion done) {
        inner.flush(done);
    }

    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        return inner.allocation(offset, length);
    }

    @Override
    public void plug() {
        inner.plug();
    }

    @Override
    public void unplug() {
        inner.unplug();
    }

    @Override
    public ImageInfo info() throws IOException {
        return inner.info();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
