package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.ForwardingIoEngine;

/**
 * The real sync engine, logging every write (with its bytes), hole punch and fdatasync of one file: the
 * dm-log-writes idea. From the log and the file's first contents, any state the host could have been left in by a
 * crash is rebuilt.
 */
final class HostWriteLog extends ForwardingIoEngine {
    /** A write of {@code bytes} at {@code position} (a punched hole is a write of zeros), or an fdatasync when null. */
    record Entry(long position, byte[] bytes) {
        boolean isSync() {
            return bytes == null;
        }
    }

    private final String fileName;
    private final List<Entry> entries = new ArrayList<>();

    HostWriteLog(String fileName) {
        super(new SyncEngine());
        this.fileName = fileName;
    }

    List<Entry> entries() {
        return entries;
    }

    private boolean logged(HostFile f) {
        return f.path().getFileName().toString().equals(fileName);
    }

    @Override
    public String name() {
        return "logged-sync";
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        if (logged(file)) {
            byte[] copy = new byte[src.remaining()];
            src.duplicate().get(copy);
            entries.add(new Entry(position, copy));
        }
        super.write(file, src, position, done);
    }

    /** The range reads as zeros afterwards, which is all a rebuilt crash state needs to know of a hole. */
    @Override
    public void punchHole(HostFile file, long position, long length, IoCompletion done) {
        if (logged(file)) {
            entries.add(new Entry(position, new byte[Math.toIntExact(length)]));
        }
        super.punchHole(file, position, length, done);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        super.datasync(file, (n, e) -> {
            if (e == null && logged(file)) {
                entries.add(new Entry(0, null)); // logged once it completed: only then is anything durable
            }
            done.done(n, e);
        });
    }
}
