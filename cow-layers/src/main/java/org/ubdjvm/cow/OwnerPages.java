package org.ubdjvm.cow;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * The owner entries of an ISAM file's append area: a bounded cache, written through. {@link #set} changes the cached
 * page and keeps it until {@link #write} has put those bytes in the file (through the engine, so a crash test sees
 * them), which must complete before anything that points at the new place is set. No owner page is ever held dirty for
 * a later flush, so no older copy of one can land after a newer one.
 */
final class OwnerPages {
    static final int PAGE = IsamHeader.PAGE;

    private final HostFile file;
    private final int capacity;
    private final LinkedHashMap<Long, ByteBuffer> pages = new LinkedHashMap<>(64, 0.75f, true);
    /** Pages with a write in flight: not dropped, or a read could see the file's older bytes. */
    private final Map<Long, Integer> pinned = new HashMap<>();

    OwnerPages(HostFile file, int capacity) {
        this.file = file;
        this.capacity = capacity;
    }

    /** The big-endian 64-bit value at {@code offset}; zeros past the end of the file. */
    synchronized long get(long offset) throws HostIoException {
        return page(offset).getLong((int) (offset % PAGE));
    }

    /** Sets the value at {@code offset} in the cache; {@link #write} puts it in the file. */
    synchronized void set(long offset, long value) throws HostIoException {
        page(offset).putLong((int) (offset % PAGE), value);
        pinned.merge(offset / PAGE * PAGE, 1, Integer::sum);
    }

    /** Writes the cached bytes {@code [from, to)} (one owner page) through {@code engine}, then releases the page. */
    void write(IoEngine engine, long from, long to, IoCompletion done) {
        long pageOffset = from / PAGE * PAGE;
        ByteBuffer bytes;
        synchronized (this) {
            ByteBuffer page = pages.get(pageOffset);
            bytes = ByteBuffer.allocate((int) (to - from)).put(0, page, (int) (from - pageOffset), (int) (to - from));
        }
        engine.write(file, bytes, from, (n, e) -> {
            synchronized (this) {
                pinned.computeIfPresent(pageOffset, (k, v) -> v == 1 ? null : v - 1);
            }
            done.done(n, e);
        });
    }

    private ByteBuffer page(long offset) throws HostIoException {
        long pageOffset = offset / PAGE * PAGE;
        ByteBuffer held = pages.get(pageOffset);
        if (held == null) {
            held = ByteBuffer.allocate(PAGE);
            file.read(held, pageOffset); // the rest stays zero: past the end of the file
            held.clear();
            pages.put(pageOffset, held);
            evict();
        }
        return held;
    }

    private void evict() {
        for (Iterator<Long> it = pages.keySet().iterator(); it.hasNext() && pages.size() > capacity; ) {
            if (!pinned.containsKey(it.next())) {
                it.remove();
            }
        }
    }
}
