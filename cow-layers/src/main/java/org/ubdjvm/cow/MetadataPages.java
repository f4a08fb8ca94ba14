package org.ubdjvm.cow;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;
import org.ubdjvm.hostio.HostFile;

/**
 * A bounded cache of one region of a layer's file holding metadata (a COW bitmap, an index): pages of a fixed size,
 * aligned in the file, loaded on demand, at most {@code cacheBytes / pageSize} of them held (clock eviction), so
 * memory follows the cache size, not the disk size.
 *
 * <p>Reads ({@link #byteAt}, {@link #longAt}, {@link #read}) of a held page take no lock and write nothing shared: an
 * optimistic {@link StampedLock} read per page, validated after; only a miss takes the cache's lock and reads the
 * file. Edits ({@link #edit}) take that one page's write lock and mark it dirty.
 *
 * <p>Durability: a bit of metadata may reach the disk only after the data it points at. The owner writes data first
 * and edits metadata only once that data write completed; dirty pages then reach the file in two ways, both after an
 * fdatasync of the data:
 * <ul>
 *   <li>the owner's flush ({@link MetadataFlusher}): {@link #takeDirty} copies every dirty page <em>before</em> the
 *       data's fdatasync (so every edit in the copy is covered by it), then {@link #writeBack} writes the copies, then
 *       a second fdatasync;</li>
 *   <li>eviction of a dirty page: fdatasync of the file, then the page, on the thread that missed. Chosen over pinning
 *       dirty pages until the next flush because a guest that never flushes would otherwise grow the cache without
 *       bound; with the default size dirty evictions are rare, and one fdatasync there covers every earlier edit.</li>
 * </ul>
 * A page copied by a flush round that has not started writing it is never dropped silently: eviction takes that
 * write over; a page whose copy is being written is not evicted at all, so an older copy never lands after a newer
 * one (nor is a page read back from the file before its copy is there).
 *
 * <p>With an O_DIRECT file every transfer is whole aligned blocks through one aligned buffer: the block range around
 * the region's part of a page is read and written back whole (read-modify-write), so the region must end where the
 * next aligned block belongs to it alone (the owner checks that, e.g. a data area aligned to the block size).
 */
public final class MetadataPages {
    /** The seed's default unit: one 4 KiB page. */
    public static final int DEFAULT_PAGE_SIZE = 4096;
    /** Covers 64 GiB of disk with a 512-byte-sector COW bitmap. */
    public static final long DEFAULT_CACHE_BYTES = 16L << 20;

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Table entries are published with release and read with acquire, so a slot found is seen fully made. */
    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);

    /** How much of the file a scan reads at once where no page is held. */
    private static final int SCAN_RUN = 1 << 20;

    private static final int PENDING = 0;
    private static final int WRITING = 1;
    private static final int DONE = 2;
    private static final int FAILED = 3;
    private static final int SUPERSEDED = 4;

    private final HostFile file;
    private final long regionOffset;
    private final long regionLength;
    private final long base;
    private final int pageSize;
    private final int pageShift;
    private final int alignment;
    private final int capacity;
    /** Twice the capacity: pages a flush round is writing cannot be evicted, and others may be needed meanwhile. */
    private final Slot[] slots;
    /** Page number to slot number by linear probing; changed under this object's lock, read without it. */
    private final int[] table;
    private final int mask;
    private final ByteBuffer directBuffer;
    private int used;
    private int hand;

    /**
     * @param file         the layer's file; O_DIRECT files get aligned whole-block transfers
     * @param regionOffset where the metadata starts in the file
     * @param regionLength its bytes; bytes past the end of the file read as zeros
     * @param pageSize     the unit loaded and written, a power of two (a multiple of the O_DIRECT block size)
     * @param cacheBytes   how much to hold; at least two pages are always held
     */
    public MetadataPages(HostFile file, long regionOffset, long regionLength, int pageSize, long cacheBytes)
            throws ImageException {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new ImageException(file.path(), "metadata page size " + pageSize + " is not a power of two");
        }
        this.alignment = file.directAlignment();
        if (alignment > 0 && pageSize % alignment != 0) {
            throw new ImageException(file.path(), "metadata page size " + pageSize
                    + " is not a multiple of the O_DIRECT block size " + alignment);
        }
        this.file = file;
        this.regionOffset = regionOffset;
        this.regionLength = regionLength;
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.base = regionOffset & -(long) pageSize;
        long pagesInRegion = regionLength == 0 ? 1 : ((regionOffset + regionLength - 1 - base) >>> pageShift) + 1;
        this.capacity = (int) Math.max(2, Math.min(Math.min(cacheBytes / pageSize, pagesInRegion), 1 << 24));
        int tableSize = Integer.highestOneBit(capacity * 4 - 1) << 1;
        try {
            this.slots = new Slot[2 * capacity];
            this.table = new int[tableSize];
            this.directBuffer = alignment > 0
                    ? ByteBuffer.allocateDirect(pageSize + alignment).alignedSlice(alignment).limit(pageSize) : null;
        } catch (OutOfMemoryError e) {
            throw outOfMemory(file, 0, e);
        }
        java.util.Arrays.fill(table, -1);
        this.mask = tableSize - 1;
    }

    public long regionLength() {
        return regionLength;
    }

    public int pageSize() {
        return pageSize;
    }

    /** Pages held; more (up to twice as many) only while a flush round writes them all. */
    public int capacity() {
        return capacity;
    }

    /** The byte at {@code offset} in the region (0 past its end). The hot path: no lock, no allocation on a hit. */
    public int byteAt(long offset) throws IOException {
        if (offset >= regionLength) {
            return 0;
        }
        long rel = regionOffset + offset - base;
        long page = rel >>> pageShift;
        int at = (int) (rel & (pageSize - 1));
        Slot s = find(page);
        if (s != null) {
            long stamp = s.lock.tryOptimisticRead();
            if (s.page == page) {
                byte b = s.bytes[at];
                if (s.lock.validate(stamp)) {
                    s.touch();
                    return b & 0xFF;
                }
            }
        }
        return (int) read(offset, 1, (p, i, o, n, a, b) -> p[i] & 0xFF, 0, 0);
    }

    /** The 64-bit big-endian ({@code bigEndian}) or little-endian value at {@code offset}, which must not cross a page. */
    public long longAt(long offset, boolean bigEndian) throws IOException {
        return read(offset, 8, (p, i, o, n, a, b) -> a != 0 ? (long) LONG_BE.get(p, i) : (long) LONG_LE.get(p, i), bigEndian ? 1 : 0, 0);
    }

    /** What {@code reader} makes of one page. */
    @FunctionalInterface
    public interface PageReader {
        /**
         * @param page          the page (read only; it may be re-read if it changed meanwhile, so be pure)
         * @param at            index in {@code page} of the region byte at {@code regionOffset}
         * @param regionOffset  the first region byte given
         * @param length        bytes given from there, all in this page and the region
         * @param a             the caller's first argument (passed through so the reader needs no captures)
         * @param b             the caller's second argument
         */
        long apply(byte[] page, int at, long regionOffset, int length, long a, long b);
    }

    /** A change to one page; it runs under that page's write lock and the page becomes dirty. */
    @FunctionalInterface
    public interface PageEditor {
        /** As {@link PageReader#apply}, but {@code page} may be changed within {@code [at, at + length)}. */
        void apply(byte[] page, int at, long regionOffset, int length, long a, long b);
    }

    /**
     * Applies {@code reader} to the part of {@code [offset, offset + maxLength)} that lies in the page holding
     * {@code offset} (and in the region, which must contain {@code offset}), loading the page on a miss.
     */
    public long read(long offset, int maxLength, PageReader reader, long a, long b) throws IOException {
        long rel = regionOffset + offset - base;
        long page = rel >>> pageShift;
        int at = (int) (rel & (pageSize - 1));
        int length = pieceLength(offset, at, maxLength);
        Slot s = find(page);
        if (s != null) {
            long stamp = s.lock.tryOptimisticRead();
            if (s.page == page) {
                long r = reader.apply(s.bytes, at, offset, length, a, b);
                if (s.lock.validate(stamp)) {
                    s.touch();
                    return r;
                }
            }
        }
        while (true) {
            s = resident(page);
            long stamp = s.lock.readLock();
            try {
                if (s.page == page) {
                    s.touch();
                    return reader.apply(s.bytes, at, offset, length, a, b);
                }
            } finally {
                s.lock.unlockRead(stamp);
            }
        }
    }

    /** Bytes of {@code [offset, offset + maxLength)} in the page holding {@code offset} and in the region. */
    private int pieceLength(long offset, int at, long maxLength) {
        if (offset < 0 || offset >= regionLength) {
            throw new IllegalArgumentException("offset " + offset + " outside the metadata region of "
                    + regionLength + " bytes in " + file.path());
        }
        return (int) Math.min(Math.min(maxLength, pageSize - at), regionLength - offset);
    }

    /**
     * Applies {@code editor} to {@code [offset, offset + length)} page by page, each under its page's write lock,
     * loading pages on a miss, and marks them dirty. Edit only what describes data already written (see the class).
     */
    public void edit(long offset, long length, PageEditor editor, long a, long b) throws IOException {
        long end = offset + length;
        if (offset < 0 || end > regionLength || length < 0) {
            throw new IllegalArgumentException("bytes " + offset + ".." + end + " outside the metadata region of "
                    + regionLength + " bytes in " + file.path());
        }
        for (long o = offset; o < end; ) {
            long rel = regionOffset + o - base;
            long page = rel >>> pageShift;
            int at = (int) (rel & (pageSize - 1));
            int n = (int) Math.min(pageSize - at, end - o);
            editPage(page, at, o, n, editor, a, b);
            o += n;
        }
    }

    private void editPage(long page, int at, long offset, int n, PageEditor editor, long a, long b)
            throws IOException {
        while (true) {
            Slot s = find(page);
            if (s == null) {
                s = resident(page);
            }
            long stamp = s.lock.writeLock();
            try {
                if (s.page == page) {
                    editor.apply(s.bytes, at, offset, n, a, b);
                    s.dirty = true;
                    s.touch();
                    return;
                }
            } finally {
                s.lock.unlockWrite(stamp);
            }
        }
    }

    /**
     * Streams {@code [from, to)} of the region through {@code reader} without filling the cache (held pages are read
     * as held, the rest straight from the file in runs of up to 1 MiB, so a piece may span pages): the sum of what
     * {@code reader} returns, or the first negative number it returns, which stops the scan. Holes in the file that no
     * page holds (zeros) are skipped, not given to the reader: for readers that count or find non-zero bytes, over
     * whole regions (a COW bitmap's set bits), without evicting the working set.
     */
    public long scan(long from, long to, PageReader reader, long a, long b) throws IOException {
        long end = Math.min(to, regionLength);
        byte[] scratch = null;
        long total = 0;
        for (long o = from; o < end; ) {
            long rel = regionOffset + o - base;
            long page = rel >>> pageShift;
            int at = (int) (rel & (pageSize - 1));
            int n = pieceLength(o, at, end - o);
            long r;
            synchronized (this) { // no page can become held and dirty while it is read from the file
                Slot s = find(page);
                if (s != null && s.page == page) {
                    long stamp = s.lock.readLock();
                    try {
                        r = reader.apply(s.bytes, at, o, n, a, b);
                    } finally {
                        s.lock.unlockRead(stamp);
                    }
                } else if ((n = holeRun(o, page, n, end)) > 0) {
                    r = 0; // nothing but zeros: no reader is given them
                } else {
                    n = pieceLength(o, at, end - o);
                    if (scratch == null) {
                        scratch = new byte[Math.max(pageSize, SCAN_RUN)];
                    }
                    if (directBuffer != null) {
                        load(page, scratch);
                        r = reader.apply(scratch, at, o, n, a, b);
                    } else {
                        n = unheldRun(o, page, n, Math.min(end - o, scratch.length));
                        java.util.Arrays.fill(scratch, 0, n, (byte) 0);
                        file.read(ByteBuffer.wrap(scratch, 0, n), regionOffset + o);
                        r = reader.apply(scratch, 0, o, n, a, b);
                    }
                }
            }
            if (r < 0) {
                return r;
            }
            total += r;
            o += n;
        }
        return total;
    }

    /**
     * The bytes from {@code offset} on that are a hole in the file (SEEK_DATA) and held by no page, whole pages
     * except the first {@code inPage} bytes; 0 when data starts there.
     */
    private int holeRun(long offset, long page, int inPage, long end) throws IOException {
        long hole = Math.min(end, file.nextData(regionOffset + offset) - regionOffset) - offset;
        if (hole < inPage) {
            return 0; // data in this page: read it
        }
        long n = inPage;
        for (long p = page + 1; n < hole && n < Integer.MAX_VALUE - pageSize; p++) {
            Slot s = find(p);
            if (s != null && s.page == p) {
                break;
            }
            n += pageSize;
        }
        return (int) Math.min(n, hole);
    }

    /** Bytes from {@code offset} (in {@code page}, whose first {@code inPage} bytes from there count) up to a held page. */
    private int unheldRun(long offset, long page, int inPage, long limit) {
        long n = inPage;
        for (long p = page + 1; n < limit; p++) {
            Slot s = find(p);
            if (s != null && s.page == p) {
                break;
            }
            n += pageSize;
        }
        return (int) Math.min(n, limit);
    }

    /** A slot in the table holding {@code page}, or null; read without the lock, so the caller validates. */
    private Slot find(long page) {
        int i = hash(page) & mask;
        for (int probes = 0; probes <= mask; probes++) {
            int v = (int) ENTRY.getAcquire(table, i);
            if (v < 0) {
                return null;
            }
            Slot s = slots[v];
            if (s != null && s.page == page) {
                return s;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    private static int hash(long page) {
        return (int) ((page * 0x9E3779B97F4A7C15L) >>> 32);
    }

    /** The slot holding {@code page}, loading it (evicting another) if needed. The only path that takes the lock. */
    private synchronized Slot resident(long page) throws IOException {
        Slot s = find(page);
        if (s != null && s.page == page) {
            return s;
        }
        int number = used < capacity ? -1 : victim();
        while (number < 0 && used >= slots.length) {
            // every page is being written by a flush round: its completions free one soon
            Thread.yield();
            number = victim();
        }
        if (number < 0) {
            number = used;
            slots[number] = newSlot();
            used++;
        }
        Slot v = slots[number];
        long stamp = v.lock.writeLock();
        try {
            if (v.page >= 0) {
                writeBeforeEviction(v);
                removeFromTable(v.page);
                v.page = -1;
            }
            load(page, v.bytes);
            v.page = page;
            v.dirty = false;
            v.referenced = true;
            insertIntoTable(page, number);
        } finally {
            v.lock.unlockWrite(stamp);
        }
        return v;
    }

    /** A page more; the heap running out here is the user's to fix, and says how, naming the file. */
    private Slot newSlot() throws ImageException {
        try {
            return new Slot(pageSize);
        } catch (OutOfMemoryError e) {
            throw outOfMemory(file, (long) used * pageSize, e);
        }
    }

    static ImageException outOfMemory(HostFile file, long held, OutOfMemoryError e) {
        long mib = 1 << 20;
        return new ImageException(file.path(), "out of memory for its metadata cache (" + held / mib + " MiB of "
                + "pages held, heap limit " + Runtime.getRuntime().maxMemory() / mib + " MiB): raise the heap "
                + "(UBD_JAVA_OPTS='-Xmx4g') or lower the cache (--metadata-cache, the driver's K<KiB>) or its page "
                + "unit (M<b>)", e);
    }

    /**
     * Clock: the first slot not referenced since the hand last passed it, skipping pages a flush round is writing;
     * -1 when every page is being written (then one more slot is taken, up to twice the capacity).
     */
    private int victim() {
        int fallback = -1;
        for (int tries = 0; tries < 2 * used; tries++) {
            Slot s = slots[hand];
            int number = hand;
            hand = (hand + 1) % used;
            if (s.image != null && s.image.inFlight()) {
                continue;
            }
            if (!s.referenced) {
                return number;
            }
            s.referenced = false;
            fallback = number;
        }
        return fallback;
    }

    /**
     * A dirty page leaving the cache: fdatasync first (the data its edits describe completed before the edits, so
     * this makes it durable), then the page. Every other dirty page goes out with it under the same fdatasync, so a
     * random-write run over a disk far larger than the cache pays one per cacheful, not one per miss; their write
     * locks are taken before the fdatasync, so no edit made after it started is written. A copy a flush round holds
     * but has not started writing is taken over.
     */
    private void writeBeforeEviction(Slot v) throws IOException {
        if (!takeOver(v)) {
            return;
        }
        List<Slot> others = new ArrayList<>();
        try {
            for (int i = 0; i < used; i++) {
                Slot s = slots[i];
                if (s == v || s.page < 0 || (s.image != null && s.image.inFlight())) {
                    continue;
                }
                s.lock.writeLock();
                if (takeOver(s)) {
                    others.add(s);
                } else {
                    s.lock.tryUnlockWrite();
                }
            }
            file.datasync();
            writePage(v);
            for (Slot s : others) {
                writePage(s);
            }
        } finally {
            for (Slot s : others) {
                s.lock.tryUnlockWrite();
            }
        }
    }

    /** Under {@code s}'s write lock: whether it must be written (dirty, or a flush round's copy taken over). */
    private static boolean takeOver(Slot s) {
        boolean mustWrite = s.dirty;
        PageImage image = s.image;
        if (image != null) {
            if (image.state.compareAndSet(PENDING, SUPERSEDED)) {
                mustWrite = true;
            } else {
                mustWrite |= image.state.get() == FAILED; // never WRITING: callers skip pages in flight
            }
            s.image = null;
        }
        if (mustWrite) {
            s.dirty = true; // stays dirty if its write fails
        }
        return mustWrite;
    }

    private void writePage(Slot s) throws IOException {
        long from = writeFrom(s.page);
        write(s.bytes, (int) (from - pageStart(s.page)), from, (int) (writeTo(s.page) - from));
        s.dirty = false;
    }

    /**
     * Every dirty page copied for a flush round, and marked clean. Call before the round's data fdatasync: every edit
     * in the copies then describes data that fdatasync covers. Rounds must not overlap (one {@link MetadataFlusher}
     * per cache), so no page has two copies in flight.
     */
    public synchronized List<PageImage> takeDirty() {
        List<PageImage> images = new ArrayList<>();
        for (int i = 0; i < used; i++) {
            Slot s = slots[i];
            long stamp = s.lock.writeLock();
            try {
                boolean failedBefore = s.image != null && s.image.state.get() == FAILED;
                if (s.page < 0 || !(s.dirty || failedBefore) || (s.image != null && s.image.inFlight())) {
                    continue; // one copy of a page in flight at a time: the next round takes this one
                }
                long from = writeFrom(s.page);
                int start = (int) (from - pageStart(s.page));
                byte[] copy = java.util.Arrays.copyOfRange(s.bytes, start, start + (int) (writeTo(s.page) - from));
                PageImage image = new PageImage(from, copy);
                s.image = image;
                s.dirty = false;
                images.add(image);
            } finally {
                s.lock.unlockWrite(stamp);
            }
        }
        return images;
    }

    /**
     * Starts writing a copy {@link #takeDirty} made (after the data's fdatasync): false when an eviction already took
     * it over. The caller writes {@link PageImage#bytes()} at {@link PageImage#fileOffset()} and then calls
     * {@link #endWrite}; until then the page stays in memory.
     */
    public boolean beginWrite(PageImage image) {
        return image.state.compareAndSet(PENDING, WRITING);
    }

    /** The write {@link #beginWrite} started is over; a failed one leaves the page dirty for the next round. */
    public void endWrite(PageImage image, boolean written) {
        image.state.set(written ? DONE : FAILED);
    }

    /** Copies {@link #takeDirty} made that will not be written (the data's fdatasync failed): dirty again. */
    public void giveBack(List<PageImage> images) {
        for (PageImage image : images) {
            image.state.compareAndSet(PENDING, FAILED);
        }
    }

    private long pageStart(long page) {
        return base + (page << pageShift);
    }

    /** The file bytes of {@code page} that are transferred: the region's part, widened to whole blocks if direct. */
    private long writeFrom(long page) {
        long from = Math.max(pageStart(page), regionOffset);
        return alignment > 0 ? from & -(long) alignment : from;
    }

    private long writeTo(long page) {
        long to = Math.min(pageStart(page) + pageSize, regionOffset + regionLength);
        return alignment > 0 ? (to + alignment - 1) & -(long) alignment : to;
    }

    /** Reads {@code page} into {@code into} (zeros where the file has no bytes). */
    private void load(long page, byte[] into) throws IOException {
        java.util.Arrays.fill(into, (byte) 0);
        long from = writeFrom(page);
        int start = (int) (from - pageStart(page));
        int length = (int) (writeTo(page) - from);
        if (directBuffer == null) {
            file.read(ByteBuffer.wrap(into, start, length), from);
            return;
        }
        synchronized (directBuffer) {
            ByteBuffer buf = directBuffer.clear().limit(length);
            int n = file.read(buf, from);
            directBuffer.get(0, into, start, n);
        }
    }

    private void write(byte[] bytes, int start, long fileOffset, int length) throws IOException {
        if (directBuffer == null) {
            file.write(ByteBuffer.wrap(bytes, start, length), fileOffset);
            return;
        }
        synchronized (directBuffer) {
            directBuffer.clear().put(0, bytes, start, length).limit(length);
            file.write(directBuffer, fileOffset);
        }
    }

    private void insertIntoTable(long page, int number) {
        int i = hash(page) & mask;
        while (table[i] >= 0) {
            i = (i + 1) & mask;
        }
        ENTRY.setRelease(table, i, number);
    }

    /** Backward-shift deletion: lock-free readers may miss an entry meanwhile, and then take the locked path. */
    private void removeFromTable(long page) {
        int i = hash(page) & mask;
        while (slots[table[i]].page != page) {
            i = (i + 1) & mask;
        }
        table[i] = -1;
        for (int j = (i + 1) & mask; table[j] >= 0; j = (j + 1) & mask) {
            int home = hash(slots[table[j]].page) & mask;
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                ENTRY.setRelease(table, i, table[j]);
                table[j] = -1;
                i = j;
            }
        }
    }

    /** A dirty page's bytes as a flush round copied them, and whether they were written. */
    public static final class PageImage {
        private final long fileOffset;
        private final byte[] bytes;
        private final AtomicInteger state = new AtomicInteger(PENDING);

        private PageImage(long fileOffset, byte[] bytes) {
            this.fileOffset = fileOffset;
            this.bytes = bytes;
        }

        public long fileOffset() {
            return fileOffset;
        }

        /** The bytes to write; a new buffer over the copy each call. */
        public ByteBuffer bytes() {
            return ByteBuffer.wrap(bytes);
        }

        /** Being written now: its page may not leave memory, or an older copy could land after a newer one. */
        boolean inFlight() {
            return state.get() == WRITING;
        }
    }

    private static final class Slot {
        final StampedLock lock = new StampedLock();
        final byte[] bytes;
        /** The page held, -1 for none; changed only under both the cache's lock and this slot's write lock. */
        long page = -1;
        boolean dirty;
        /** Clock bit; written only when it changes, so hits on a hot page do not bounce its cache line. */
        boolean referenced;
        PageImage image;

        Slot(int pageSize) {
            this.bytes = new byte[pageSize];
        }

        void touch() {
            if (!referenced) {
                referenced = true;
            }
        }
    }
}
