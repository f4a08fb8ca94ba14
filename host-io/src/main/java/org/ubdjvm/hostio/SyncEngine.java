package org.ubdjvm.hostio;

import java.nio.ByteBuffer;

/** The fallback engine: each operation runs on the caller's thread with pread/pwrite, and completes before return. */
public final class SyncEngine implements IoEngine {
    public static final String NAME = "sync";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        int n;
        try {
            n = file.read(dst, position);
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(n, null);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        int n = src.remaining();
        try {
            file.write(src, position);
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(n, null);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        try {
            file.datasync();
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(0, null);
    }

    @Override
    public void close() {
    }
}
