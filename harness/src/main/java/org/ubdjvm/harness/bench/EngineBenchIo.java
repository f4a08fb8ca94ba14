package org.ubdjvm.harness.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.OpenMode;

/** A host-io engine on one file, driven directly: what fio measures, with nothing of ubd above it. */
final class EngineBenchIo implements BenchIo {
    private final IoEngine engine;
    private final HostFile file;

    /** Takes ownership of {@code engine}. Read workloads open the file read-only, so they cannot change it. */
    EngineBenchIo(IoEngine engine, Path path, boolean write, boolean direct) throws IOException {
        this.engine = engine;
        try {
            this.file = HostFile.open(path, (write ? OpenMode.READ_WRITE : OpenMode.READ_ONLY).withDirect(direct));
        } catch (IOException e) {
            engine.close();
            throw e;
        }
    }

    @Override
    public void start(boolean write, long offset, ByteBuffer buffer, BenchSlot done) {
        if (write) {
            engine.write(file, buffer, offset, done);
        } else {
            engine.read(file, buffer, offset, done);
        }
    }

    @Override
    public void submit() {
        engine.submit();
    }

    @Override
    public String describeInFlight() {
        return engine.describeInFlight();
    }

    @Override
    public void close() throws IOException {
        try {
            engine.close();
        } finally {
            file.close();
        }
    }
}
