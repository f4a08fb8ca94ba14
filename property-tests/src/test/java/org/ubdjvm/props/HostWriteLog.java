package org.ubdjvm.props;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;
import org.ubdjvm.hostio.SyncEngine;

/**
 * The real sync engine, logging every write (with its bytes) and fdatasync of one file: the dm-log-writes idea.
 * From the log and the file's first contents, any state the host could have been left in by a crash is rebuilt.
 */
final class HostWriteLog implements IoEngine {
    /** A write of {@code bytes} at {@code position}, or an fdatasync when {@code bytes} is null. */
    record Entry(long position, byte[] bytes) {
        boolean isSync() {
            return bytes == null;
        }
    }

    private final SyncEngine real = new SyncEngine();
    private final String fileName;
    private final List<Entry> entries = new ArrayList<>();

    HostWriteLog(String fileName) {
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
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        real.read(file, dst, position, done);
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        if (logged(file)) {
            byte[] copy = new byte[src.remaining()];
            src.duplicate().get(copy);
            entries.add(new Entry(position, copy));
        }
        real.write(file, src, position, done);
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        real.datasync(file, (n, e) -> {
            if (e == null && logged(file)) {
                entries.add(new Entry(0, null)); // logged once it completed: only then is anything durable
            }
            done.done(n, e);
        });
    }

    @Override
    public void close() {
    }
}
