package org.ubdjvm.cow;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.ubdjvm.hostio.HostFile;
import org.ubdjvm.hostio.IoCompletion;
import org.ubdjvm.hostio.IoEngine;

/**
 * The two-level index of an ISAM file and its append area, in memory only as far as {@link MetadataPages} caches
 * the directory and index pages and {@link OwnerPages} the owner entries.
 * Unit u's entry is entry {@code u % 512} of the index page that directory entry {@code u / 512} points at (0: no
 * page, every unit of it is below). An entry is 0 (not here: read the layer below), {@link #ZERO} (discarded: reads
 * zeros) or the file offset of the unit's data. Every entry is checked before it is followed: it must lie in the
 * area, aligned, inside what has been allocated, and the owner entry there must name this unit; otherwise the read
 * fails with an {@link ImageException} instead of returning another unit's bytes.
 *
 * <p>Order: a unit's owner entry is in the file when its place is handed out, its data before its entry is set; a new
 * index page (zeros) and its owner entry are in the file before the directory entry pointing at it is set. The
 * directory and index pages reach the disk only after an fdatasync (a flush, or {@link MetadataPages} evicting a dirty
 * page), so every entry on disk points at bytes that are there.
 */
final class IsamIndex {
    /** The entry of a discarded unit: held by this layer, reads zeros, no data. Odd, so never a data offset. */
    static final long ZERO = 1;

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** The directory and the whole area as one region: index pages lie anywhere in it. */
    static final long REGION_LENGTH = Long.MAX_VALUE / 4;
    private static final MetadataPages.PageEditor PUT_LONG =
            (page, at, regionOffset, length, value, unused) -> LONG_BE.set(page, at, value);

    private final HostFile host;
    private final java.nio.file.Path file;
    private final IsamHeader header;
    private final IsamArea area;
    private final MetadataPages pages;
    private final OwnerPages owners;
    private final int unit;
    /** Next free area position. */
    private long next;
    /** Directory entries whose index page is being made, with what waits for it. */
    private final java.util.Map<Long, List<IoCompletion>> coming = new java.util.HashMap<>();

    IsamIndex(HostFile host, IsamHeader header, MetadataPages pages, OwnerPages owners, long fileLength) {
        this.host = host;
        this.file = host.path();
        this.header = header;
        this.area = header.area();
        this.pages = pages;
        this.owners = owners;
        this.unit = header.unitSize();
        long end = Math.max(fileLength, header.areaEnd());
        this.next = area.positionAtLength(end);
    }

    /** The index's pages over {@code host}: the directory and everything after it, 4 KiB at a time. */
    static MetadataPages pagesOf(HostFile host, long cacheBytes) throws ImageException {
        return new MetadataPages(host, IsamHeader.DIR_OFFSET, REGION_LENGTH, IsamHeader.PAGE, cacheBytes);
    }

    MetadataPages pages() {
        return pages;
    }

    /** The raw 64-bit value at a file offset in the directory or an index page, unchecked (for check). */
    long get(long fileOffset) throws IOException {
        return pages.longAt(fileOffset - IsamHeader.DIR_OFFSET, true);
    }

    private void put(long fileOffset, long value) throws IOException {
        pages.edit(fileOffset - IsamHeader.DIR_OFFSET, 8, PUT_LONG, value, 0);
    }

    static boolean isData(long entry) {
        return entry != 0 && entry != ZERO;
    }

    /** The first unit at or after {@code u} that may have an entry: {@code u}, or the next index page's first. */
    synchronized long nextWithPage(long u, long limit) throws IOException {
        long at = u;
        while (at < limit && get(IsamHeader.DIR_OFFSET + at / IsamHeader.ENTRIES_PER_PAGE * 8) == 0) {
            at = (at / IsamHeader.ENTRIES_PER_PAGE + 1) * IsamHeader.ENTRIES_PER_PAGE;
        }
        return Math.min(at, limit);
    }

    /** The owner entry at a file offset (for check). */
    long owner(long fileOffset) throws IOException {
        return owners.get(fileOffset);
    }

    /** Unit {@code u}'s entry, checked. */
    synchronized long entry(long u) throws IOException {
        long dirIndex = u / IsamHeader.ENTRIES_PER_PAGE;
        long page = get(IsamHeader.DIR_OFFSET + dirIndex * 8);
        if (page == 0) {
            return 0;
        }
        String bad = badTarget(page, IsamHeader.PAGE, IsamHeader.PAGE, IsamArea.indexTag(dirIndex), allocatedEnd());
        if (bad != null) {
            throw new ImageException(file, "directory entry " + dirIndex + " (offset " + (IsamHeader.DIR_OFFSET + dirIndex * 8)
                    + ") points at " + page + ": " + bad + "; not followed (run check)");
        }
        long entryOffset = page + u % IsamHeader.ENTRIES_PER_PAGE * 8;
        long e = get(entryOffset);
        if (isData(e)) {
            String badData = badTarget(e, unit, unit, IsamArea.dataTag(u), allocatedEnd());
            if (badData != null) {
                throw new ImageException(file, "index entry of unit " + u + " (offset " + entryOffset + ") points at " + e
                        + ": " + badData + "; not followed (run check)");
            }
        }
        return e;
    }

    /**
     * Null when {@code target} is where an item of {@code length} bytes owned by {@code tag} may be, else why not:
     * outside the area, misaligned, straddling a group, past {@code end}, or owned by something else.
     */
    String badTarget(long target, int length, int align, long tag, long end) throws IOException {
        long p = area.position(target);
        if (target < 0 || p < 0) {
            return "not in the data area (it starts at " + area.areaOffset() + "; owner pages excluded)";
        }
        if (!IsamArea.fits(p, length, align)) {
            return "not aligned to " + align + " bytes inside one group";
        }
        if (target + length > end) {
            return "past the end of the file (" + end + " bytes in use)";
        }
        long owner = owners.get(area.ownerEntry(p));
        if (owner != tag) {
            return "that place belongs to " + IsamArea.describeTag(owner) + ", not " + IsamArea.describeTag(tag);
        }
        return null;
    }

    /** File offset up to which space has been handed out. */
    synchronized long allocatedEnd() {
        return next % IsamArea.GROUP_DATA == 0 ? area.ownerPage(next) : area.fileOffset(next);
    }

    /** A new place for unit {@code u}'s data, owned by it; the entry is set by {@link #set} once the data is there. */
    synchronized long allocateData(long u) throws IOException {
        return allocate(unit, IsamArea.dataTag(u));
    }

    /** Sets unit {@code u}'s entry (a data offset or {@link #ZERO}); its index page must exist ({@link #ensurePage}). */
    synchronized void set(long u, long entry) throws IOException {
        long page = get(IsamHeader.DIR_OFFSET + u / IsamHeader.ENTRIES_PER_PAGE * 8);
        if (page == 0) {
            throw new IllegalStateException("unit " + u + " has no index page yet");
        }
        put(page + u % IsamHeader.ENTRIES_PER_PAGE * 8, entry);
    }

    /**
     * Completes once unit {@code u}'s index page exists. A new one (zeros) and its owner entry are written first, and
     * only then is the directory entry set: a directory page that reaches the disk (after an fdatasync, at a flush or
     * an eviction) never points at a page that is not in the file. Requests for a page being made wait for it.
     */
    void ensurePage(long u, IoEngine engine, IoCompletion done) {
        long dirIndex = u / IsamHeader.ENTRIES_PER_PAGE;
        long dirEntry = IsamHeader.DIR_OFFSET + dirIndex * 8;
        long page;
        IOException failed = null;
        synchronized (this) {
            try {
                page = get(dirEntry);
                if (page == 0) {
                    List<IoCompletion> waiting = coming.get(dirIndex);
                    if (waiting != null) {
                        waiting.add(done);
                        return;
                    }
                    page = allocate(IsamHeader.PAGE, IsamArea.indexTag(dirIndex));
                    coming.put(dirIndex, new ArrayList<>());
                } else {
                    page = -1;
                }
            } catch (IOException e) {
                page = -2;
                failed = e;
            }
        }
        if (failed != null) {
            done.done(0, failed);
            return;
        }
        if (page == -1) {
            done.done(0, null);
            return;
        }
        long made = page;
        Join written = new Join((n, e) -> {
            IOException error = e;
            List<IoCompletion> waiting;
            synchronized (this) {
                if (error == null) {
                    try {
                        put(dirEntry, made);
                    } catch (IOException x) {
                        error = x;
                    }
                }
                waiting = coming.remove(dirIndex);
            }
            done.done(0, error);
            for (IoCompletion w : waiting) {
                w.done(0, error);
            }
        }, 0);
        written.fork();
        engine.write(host, ByteBuffer.allocate(IsamHeader.PAGE), made, written);
        long owner = area.ownerEntry(area.position(made));
        written.fork();
        owners.write(engine, owner, owner + 8, written);
        engine.submit();
        written.arm();
    }

    /** Writes the owner entries of the places from {@code first} to {@code last} (one run in one group). */
    void writeOwners(IoEngine engine, long first, long last, IoCompletion done) {
        owners.write(engine, area.ownerEntry(area.position(first)), area.ownerEntry(area.position(last)) + 8, done);
    }

    private long allocate(int length, long tag) throws IOException {
        long p = ProbeBytes.roundUp(next, length);
        if (!IsamArea.fits(p, length, length)) {
            p = ProbeBytes.roundUp(p, IsamArea.GROUP_DATA);
        }
        owners.set(area.ownerEntry(p), tag);
        next = p + length;
        return area.fileOffset(p);
    }

    /** Units this layer holds (data or discarded): every index page read once through the cache. */
    synchronized long heldUnits() throws IOException {
        long n = 0;
        for (long d = 0; d < header.directoryEntries(); d++) {
            long page = get(IsamHeader.DIR_OFFSET + d * 8);
            if (page == 0) {
                continue;
            }
            for (int i = 0; i < IsamHeader.ENTRIES_PER_PAGE; i++) {
                if (get(page + i * 8L) != 0) {
                    n++;
                }
            }
        }
        return n;
    }
}
