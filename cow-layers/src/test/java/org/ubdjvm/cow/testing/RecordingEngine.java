package org.ubdjvm.cow.testing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/** The real sync engine, with a trace of every host call, to check the order in which bytes reach the host. */
public final class RecordingEngine extends ForwardingIoEngine {
    /** One host call: {@code op} is read, write, punch-hole or datasync. */
    public record Call(String op, String file, long position, long length) {
        @Override
        public String toString() {
            return op + " " + file + (op.equals("datasync") ? "" : " @" + position + "+" + length);
        }
    }

    private final List<Call> calls = new ArrayList<>();

    public RecordingEngine() {
        super(new SyncEngine());
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized void clear() {
        calls.clear();
    }

    private synchronized void record(String op, HostFile f, long pos, long len) {
        calls.add(new Call(op, f.path().getFileName().toString(), pos, len));
    }

    @Override
    public String name() {
        return "recording-sync";
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        record("read", file, position, dst.remaining());
        super.read(file, dst, position, done);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        record("write", file, position, src.remaining());
        super.write(file, src, position, done);
    }

    @Override
    public void punchHole(HostFile file, long position, long length, IoCompletion done) {
        record("punch-hole", file, position, length);
        super.punchHole(file, position, length, done);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        record("datasync", file, 0, 0);
        super.datasync(file, done);
    }
}
