package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/**
 * Any engine, with a log of the writes and fdatasyncs it was given: what a test needs to see that a layer made its
 * data durable, which reading the files back (from the page cache) cannot show.
 *
 * <p>The log is in the order of one clock that every event takes its place on under one lock: a write or hole punch
 * when it is issued (before the engine sees it) and again when its completion arrives (before the caller's
 * completion runs, so before anything the caller issues in response); an fdatasync when it is started and when it
 * completes. Async engines (io_uring, aio) complete on their own thread, so an issue and its completion can have
 * other events between them; {@link Durability} reads the log with that in mind.
 */
final class RecordingEngine extends ForwardingIoEngine {
    enum Kind { WRITE_ISSUED, WRITE_DONE, SYNC_STARTED, SYNC_DONE }

    /**
     * One event. {@code id} pairs an issue with its completion; position and length are -1 for an fdatasync;
     * {@code failed} is set on a completion that reported an error.
     */
    record Event(Kind kind, long id, Path file, long position, long length, boolean failed) {
        boolean issue() {
            return kind == Kind.WRITE_ISSUED || kind == Kind.SYNC_STARTED;
        }
    }

    private final List<Event> log = new ArrayList<>();
    private int drained;
    private long nextId;

    RecordingEngine(IoEngine engine) {
        super(engine);
    }

    /** The sync engine. */
    RecordingEngine() {
        this(new SyncEngine());
    }

    @Override
    public String name() {
        return "recording " + delegate.name();
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        long id = record(Kind.WRITE_ISSUED, -1, file.path(), position, src.remaining(), false);
        super.write(file, src, position, (n, e) -> {
            record(Kind.WRITE_DONE, id, file.path(), position, n, e != null);
            done.done(n, e);
        });
    }

    /** A punched hole changes what the file reads, so it is a write for the durability order. */
    @Override
    public void punchHole(HostFile file, long position, long length, IoCompletion done) {
        long id = record(Kind.WRITE_ISSUED, -1, file.path(), position, length, false);
        super.punchHole(file, position, length, (n, e) -> {
            record(Kind.WRITE_DONE, id, file.path(), position, length, e != null);
            done.done(n, e);
        });
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        long id = record(Kind.SYNC_STARTED, -1, file.path(), -1, -1, false);
        super.datasync(file, (n, e) -> {
            record(Kind.SYNC_DONE, id, file.path(), -1, -1, e != null);
            done.done(n, e);
        });
    }

    /** Whether every write to {@code file} so far completed and was followed by an fdatasync started after that. */
    synchronized boolean syncedAfterLastWrite(Path file) {
        Durability d = new Durability();
        log.forEach(e -> d.accept(e, true));
        return d.unsynced(file) == null;
    }

    /** The events since the last call, in clock order. */
    synchronized List<Event> drain() {
        List<Event> out = List.copyOf(log.subList(drained, log.size()));
        drained = log.size();
        return out;
    }

    /** Appends an event; an issue gets a new id, a completion carries its issue's. */
    private synchronized long record(Kind kind, long id, Path file, long position, long length, boolean failed) {
        long eventId = id < 0 ? nextId++ : id;
        log.add(new Event(kind, eventId, file, position, length, failed));
        return eventId;
    }
}
