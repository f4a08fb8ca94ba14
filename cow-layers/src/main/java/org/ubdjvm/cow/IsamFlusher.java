package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * Makes an ISAM file durable: {@link MetadataFlusher} (copy the dirty directory and index pages, fdatasync, which
 * covers the data, the new index pages and the owner entries those pages point at, write the copies, fdatasync), then
 * the header's area end. That is the order data, index entry, header. The area end is a hint (appending resumes at the
 * larger of it and the file's length), so it is written without a sync of its own: the next flush's makes it durable.
 */
final class IsamFlusher {
    private final HostFile file;
    private final IoEngine engine;
    private final IsamIndex index;
    private final MetadataFlusher pages;
    private IsamHeader header;
    /** The area end when opened or last written: only growth past it is written. */
    private long areaEnd;

    IsamFlusher(HostFile file, IoEngine engine, IsamIndex index, IsamHeader header) {
        this.file = file;
        this.engine = engine;
        this.index = index;
        this.header = header;
        this.areaEnd = index.allocatedEnd();
        this.pages = new MetadataFlusher(file, engine, index.pages());
    }

    void flush(IoCompletion done) {
        pages.flush((n, e) -> {
            if (e != null) {
                done.done(0, e);
            } else {
                writeAreaEnd(done);
            }
        });
    }

    /**
     * The 512-byte unit of the header holding the area end (the only field that changes after create), cut from a
     * header encoded whole, so the overlap checks of {@link IsamHeader#encode} run on every header write. Written only
     * when the area grew, so opening and flushing an image without writing to it changes nothing.
     */
    private void writeAreaEnd(IoCompletion done) {
        byte[] sector;
        synchronized (this) {
            long end = index.allocatedEnd();
            if (end <= areaEnd) {
                sector = null;
            } else {
                areaEnd = end;
                IsamHeader grown = header.withAreaEnd(end);
                try {
                    avoidRawLength();
                    byte[] all = grown.encode(file.path());
                    sector = Arrays.copyOfRange(all, SECTOR_OFFSET, SECTOR_OFFSET + 512);
                } catch (java.io.IOException e) {
                    done.done(0, e);
                    return;
                }
                header = grown;
            }
        }
        if (sector == null) {
            done.done(0, null);
            return;
        }
        engine.write(file, ByteBuffer.wrap(sector), SECTOR_OFFSET, (n, e) -> done.done(0, e));
        engine.submit();
    }

    /**
     * A UML COW reader opens a backing exactly as long as the size it records as raw (the kernel always opens
     * backings raw, and a bitmap COW file is always longer than its disk); an ISAM file grows with what is written
     * and could hit that length, so it is then made one byte longer (past the area's end: unused).
     */
    private void avoidRawLength() throws java.io.IOException {
        if (!file.readOnly() && file.size() == header.diskSize()) {
            file.write(ByteBuffer.allocate(1), header.diskSize());
        }
    }

    private static final int SECTOR_OFFSET = IsamHeader.OFF_AREA_END / 512 * 512;
}
