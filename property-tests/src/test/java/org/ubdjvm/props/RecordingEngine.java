package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The sync engine, with a log of the writes and fdatasyncs it carried out, in order: what a test needs to see
 * that a layer made its data durable, which reading the files back (from the page cache) cannot show.
 */
final class RecordingEngine implements IoEngine {
    /** One completed operation; position and length are -1 for an fdatasync. */
    record Event(String op, Path file, long position, long length) {
    }

    private final SyncEngine engine = new SyncEngine();
    private final List<Event> events = new ArrayList<>();

    @Override
    public String name() {
        return "recording " + engine.name();
    }

    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        engine.read(file, dst, position, done);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        engine.write(file, src, position, (n, e) -> {
            record(new Event("write", file.path(), position, n), e);
            done.done(n, e);
        });
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        engine.datasync(file, (n, e) -> {
            record(new Event("datasync", file.path(), -1, -1), e);
            done.done(n, e);
        });
    }

    @Override
    public void close() {
        engine.close();
    }

    /** Whether {@code file} was synced after the last write to it. */
    synchronized boolean syncedAfterLastWrite(Path file) {
        boolean synced = true;
        for (Event e : events) {
            if (e.file().equals(file)) {
                synced = e.op().equals("datasync") || synced && !e.op().equals("write");
            }
        }
        return synced;
    }

    /** The events since the last call, oldest first. */
    synchronized List<Event> drain() {
        List<Event> out = List.copyOf(events);
        events.clear();
        return out;
    }

    private synchronized void record(Event event, Exception error) {
        if (error == null) {
            events.add(event);
        }
    }
}
