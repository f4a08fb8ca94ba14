package org.ubdjvm.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.ubdjvm.hostio.IoCompletion;

/**
 * An image that forwards every call to another (Lucene's {@code FilterDirectory}): layers that change one thing
 * about an image (the request check, owning an engine, a fault in a test) subclass it and override only that, so
 * none can miss an operation.
 */
public abstract class ForwardingBlockImage implements BlockImage {
    protected final BlockImage delegate;

    protected ForwardingBlockImage(BlockImage delegate) {
        this.delegate = delegate;
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public int sectorSize() {
        return delegate.sectorSize();
    }

    @Override
    public long capacity() {
        return delegate.capacity();
    }

    @Override
    public boolean readOnly() {
        return delegate.readOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst, IoCompletion done) {
        delegate.read(offset, dst, done);
    }

    @Override
    public void write(long offset, ByteBuffer src, IoCompletion done) {
        delegate.write(offset, src, done);
    }

    @Override
    public void discard(long offset, long length, IoCompletion done) {
        delegate.discard(offset, length, done);
    }

    @Override
    public void flush(IoCompletion done) {
        delegate.flush(done);
    }

    @Override
    public Allocation allocation(long offset, long length) throws IOException {
        return delegate.allocation(offset, length);
    }

    @Override
    public void plug() {
        delegate.plug();
    }

    @Override
    public void unplug() {
        delegate.unplug();
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return delegate.cancelOlderThan(age);
    }

    @Override
    public LayerFile layerFile() {
        return delegate.layerFile();
    }

    @Override
    public ImageInfo info() throws IOException {
        return delegate.info();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
