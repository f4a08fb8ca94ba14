package org.ubdjvm.hostio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The mapped windows of one {@link MappedFile}, by index ({@code offset / unit}), and which of them were written
 * since the last msync. The lookup every request makes, {@link #get}, is a few array loads: no boxing, no hashing,
 * no lock, and no object between the table and the mapping (with 1024 windows in random use, every object on that
 * path is a likely cache miss next to the 4 KiB the request copies). The table is in chunks of {@link #CHUNK}
 * windows, made on first touch, so a large sparse image costs nothing until it is used.
 *
 * <p>Publication without locks: the arrays of chunks are replaced whole (copy on write) and read through a volatile
 * field; a mapping is stored into its chunk with release and read with acquire, so a reader sees a complete mapping or
 * none. Writers ({@link #map}, {@link #clear}) hold a lock, taken only when a window is first mapped or remapped
 * longer. A window remapped longer keeps its slot, and so its dirty flag: the new mapping covers the old one's bytes.
 */
final class WindowTable {
    /** Windows per chunk: with the default 1 MiB unit one chunk covers 1 GiB, in 4 KiB of references. */
    private static final int CHUNK_BITS = 10;
    private static final int CHUNK = 1 << CHUNK_BITS;
    /**
     * Chunks at most: 2^30 windows, a PiB in 1 MiB windows. Windows past it are served by pread/pwrite rather than
     * grow the arrays of chunks without bound for an offset far out in a sparse file.
     */
    private static final int MAX_CHUNKS = 1 << 20;
    private static final VarHandle MAP = MethodHandles.arrayElementVarHandle(MappedByteBuffer[].class);
    private static final VarHandle DIRTY = MethodHandles.arrayElementVarHandle(boolean[].class);

    /** The chunks, windows and dirty flags side by side; replaced whole, so one volatile read sees both. */
    private record Chunks(MappedByteBuffer[][] maps, boolean[][] dirty) {
        static final Chunks EMPTY = new Chunks(new MappedByteBuffer[0][], new boolean[0][]);
    }

    private final HostFile file;
    private final int unit;
    private final FileChannel.MapMode mode;
    private final Object lock = new Object();
    private volatile Chunks chunks = Chunks.EMPTY;

    WindowTable(HostFile file, int unit) {
        this.file = file;
        this.unit = unit;
        this.mode = file.readOnly() ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE;
    }

    /** The window {@code index} if it is mapped at least {@code needed} bytes long, else null. Lock-free. */
    MappedByteBuffer get(long index, int needed) {
        MappedByteBuffer[][] maps = chunks.maps;
        long chunk = index >>> CHUNK_BITS;
        if (chunk >= maps.length) {
            return null;
        }
        MappedByteBuffer[] windows = maps[(int) chunk];
        if (windows == null) {
            return null;
        }
        MappedByteBuffer w = (MappedByteBuffer) MAP.getAcquire(windows, (int) index & (CHUNK - 1));
        return w != null && w.capacity() >= needed ? w : null;
    }

    /**
     * Maps window {@code index} as far as {@code fileSize} allows (at most one unit) and returns it, or null when it
     * would be shorter than {@code needed} or cannot be mapped (e.g. ENOMEM for the address space): the caller then
     * serves that piece with pread/pwrite.
     */
    MappedByteBuffer map(long index, int needed, long fileSize) {
        long chunk = index >>> CHUNK_BITS;
        long start = index * unit;
        int length = (int) Math.min(unit, fileSize - start);
        if (chunk >= MAX_CHUNKS || length < needed) {
            return null;
        }
        synchronized (lock) {
            MappedByteBuffer[] windows = chunk((int) chunk);
            int slot = (int) index & (CHUNK - 1);
            MappedByteBuffer old = windows[slot];
            if (old != null && old.capacity() >= needed) {
                return old; // another thread mapped it meanwhile
            }
            MappedByteBuffer w;
            try {
                w = file.channel().map(mode, start, length);
            } catch (IOException | RuntimeException e) {
                return null;
            }
            MAP.setRelease(windows, slot, w);
            return w;
        }
    }

    /** The windows of chunk {@code index}, made (and the arrays of chunks copied) if missing. Holding the lock. */
    private MappedByteBuffer[] chunk(int index) {
        Chunks c = chunks;
        if (index < c.maps.length && c.maps[index] != null) {
            return c.maps[index];
        }
        int length = Math.max(c.maps.length, index + 1);
        Chunks grown = new Chunks(Arrays.copyOf(c.maps, length), Arrays.copyOf(c.dirty, length));
        grown.maps[index] = new MappedByteBuffer[CHUNK];
        grown.dirty[index] = new boolean[CHUNK];
        chunks = grown;
        return grown.maps[index];
    }

    /**
     * Notes that window {@code index} was written, after the copy into it. A volatile store is a locked instruction
     * on x86, so it is skipped when the flag is already set: a msync that clears the flag after our read runs after
     * our copy; one that cleared it before our read left it set by another writer, so the next msync covers our
     * bytes too. A window dropped meanwhile ({@link #clear}) needs no flag: fdatasync follows every msync.
     */
    void markDirty(long index) {
        boolean[][] dirty = chunks.dirty;
        long chunk = index >>> CHUNK_BITS;
        if (chunk < dirty.length && dirty[(int) chunk] != null) {
            boolean[] flags = dirty[(int) chunk];
            int slot = (int) index & (CHUNK - 1);
            if (!(boolean) DIRTY.getVolatile(flags, slot)) {
                DIRTY.setVolatile(flags, slot, true);
            }
        }
    }

    /** Drops every window, e.g. after a truncation left some reaching past the end of the file. */
    void clear() {
        synchronized (lock) {
            chunks = Chunks.EMPTY;
        }
    }

    /**
     * msync of every window written since the last call. The flag is cleared before force(), so a write racing with
     * us marks it again and is synced next time; a failed force() marks it again too.
     */
    void forceDirty() {
        Chunks c = chunks;
        for (int chunk = 0; chunk < c.maps.length; chunk++) {
            boolean[] flags = c.dirty[chunk];
            if (flags == null) {
                continue;
            }
            for (int slot = 0; slot < CHUNK; slot++) {
                if ((boolean) DIRTY.getVolatile(flags, slot)) {
                    DIRTY.setVolatile(flags, slot, false);
                    MappedByteBuffer w = (MappedByteBuffer) MAP.getAcquire(c.maps[chunk], slot);
                    try {
                        if (w != null) { // null only if a clear() raced the write that set the flag
                            w.force();
                        }
                    } catch (UncheckedIOException e) {
                        DIRTY.setVolatile(flags, slot, true);
                        throw e;
                    }
                }
            }
        }
    }
}
