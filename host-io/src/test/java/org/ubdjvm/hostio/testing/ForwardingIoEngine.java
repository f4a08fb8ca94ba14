package org.ubdjvm.hostio.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * An engine that forwards every call to another (Lucene's {@code FilterDirectory}): recording and fault-injecting
 * engines in tests subclass it and override only what they change, so no wrapper can miss an operation.
 * {@code ForwardingIoEngineTest} fails when {@link IoEngine} gains a method this class does not forward.
 */
public class ForwardingIoEngine implements IoEngine {
    protected final IoEngine delegate;

    public ForwardingIoEngine(IoEngine delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        delegate.read(file, dst, position, done);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        delegate.write(file, src, position, done);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        delegate.datasync(file, done);
    }

    @Override
    public void punchHole(HostFile file, long position, long length, IoCompletion done) {
        delegate.punchHole(file, position, length, done);
    }

    @Override
    public void submit() {
        delegate.submit();
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
    public String describeInFlight() {
        return delegate.describeInFlight();
    }

    @Override
    public int cancelOlderThan(Duration age) {
        return delegate.cancelOlderThan(age);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
