package org.ubdjvm.hostio;

import java.nio.ByteBuffer;

/** The fallback engine: each operation runs on the caller's thread with pread/pwrite, and completes before return. */
public final class SyncEngine implements IoEngine {
    public static final String NAME = "sync";

    private volatile boolean closed;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        BlockingOperation.complete(done, () -> {
            refuseIfClosed(file, "read", position);
            return file.read(dst, position);
        });
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        BlockingOperation.complete(done, () -> {
            refuseIfClosed(file, "write", position);
            int n = src.remaining();
            file.write(src, position);
            return n;
        });
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        BlockingOperation.complete(done, () -> {
            refuseIfClosed(file, "fdatasync", 0);
            file.datasync();
            return 0;
        });
    }

    /** After close every engine refuses new requests the same way, so callers need not know which one they have. */
    private void refuseIfClosed(HostFile file, String verb, long position) throws HostIoException {
        if (closed) {
            throw HostIoException.engineClosed(file.path(), verb, position, NAME);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
