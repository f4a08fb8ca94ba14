package org.ubdjvm.hostio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One host file as the mmap engine serves it: the file is cut into windows of {@code unit} bytes, each mapped on
 * first touch (a file smaller than one unit is one whole-file window). Windows never reach past the end of the file:
 * mapping beyond it would grow the file in READ_WRITE mode and fault in READ_ONLY mode. A window mapped when the file
 * was shorter is mapped again, longer, when a request needs bytes it lacks.
 *
 * <p>What is not mapped goes through pread/pwrite, which share the page cache with the mappings: non-regular files,
 * windows the kernel refuses to map, and writes that extend the file (pwrite grows it; the windows follow on next
 * touch).
 *
 * <p>Shrinking: a truncation through {@link HostFile#truncate} drops every window before the next request. A file
 * shrunk by another process while mapped makes the next touch of a lost page raise SIGBUS, which the JVM reports as
 * an InternalError, from compiled code late and at some later instruction; we retry positionally when it does arrive
 * inside the copy, but cannot promise it will (the same limit as the kernel's own ubd-mmap).
 *
 * <p>Mappings are released by the garbage collector, never explicitly: unmapping while another thread copies from the
 * window would crash the JVM.
 */
final class MappedFile {
    /** A mapped window; {@code dirty} when written since the last datasync, so that only those are msync'ed. */
    private static final class Window {
        final MappedByteBuffer map;
        final int length;
        volatile boolean dirty;

        Window(MappedByteBuffer map, boolean dirty) {
            this.map = map;
            this.length = map.capacity();
            this.dirty = dirty;
        }
    }

    private final HostFile file;
    private final int unit;
    private final boolean mappable;
    private final FileChannel.MapMode mode;
    private final ConcurrentHashMap<Long, Window> windows = new ConcurrentHashMap<>();
    /** The file size as last seen; -1 until first asked. Refreshed only when a request reaches past it. */
    private final AtomicLong knownSize = new AtomicLong(-1);
    /** {@link HostFile#truncations()} when the windows were last known to be inside the file. */
    private volatile int truncationsSeen;

    MappedFile(HostFile file, int unit) {
        this.file = file;
        this.unit = unit;
        this.mappable = Files.isRegularFile(file.path());
        this.mode = file.readOnly() ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE;
    }

    /** Reads into {@code dst} from its position up to its limit or end of file; returns bytes read. */
    int read(ByteBuffer dst, long position) throws HostIoException {
        if (!mappable) {
            return file.read(dst, position);
        }
        int want = dst.remaining();
        long size = sizeCovering(position + want);
        int n = (int) Math.max(0, Math.min(want, size - position));
        int start = dst.position();
        int moved;
        try {
            moved = copy(dst, start, position, n, false);
        } catch (InternalError e) {
            forgetWindows();
            return file.read(dst, position);
        }
        dst.position(start + moved);
        return moved;
    }

    /** Writes all of {@code src} at {@code position}, extending the file when it reaches past the end. */
    void write(ByteBuffer src, long position) throws HostIoException {
        int length = src.remaining();
        if (length == 0) {
            return; // writes nothing, so must not move the size a later mapping would extend the file to
        }
        long end = position + length;
        if (!mappable || sizeCovering(end) < end) {
            file.write(src, position);
            knownSize.accumulateAndGet(end, Math::max);
            return;
        }
        int start = src.position();
        try {
            copy(src, start, position, length, true);
        } catch (InternalError e) {
            forgetWindows();
            file.write(src, position);
            return;
        }
        src.position(start + length);
    }

    /** msync of every window written since the last call, then fdatasync for what went through pwrite. */
    void datasync() throws HostIoException {
        for (Window w : windows.values()) {
            if (w.dirty) {
                w.dirty = false; // before force(): a write racing with us marks it again and is synced next time
                try {
                    w.map.force();
                } catch (UncheckedIOException e) {
                    w.dirty = true;
                    throw HostIoException.wrap(file.path(), "msync failed", e.getCause());
                }
            }
        }
        file.datasync();
    }

    /** The file size, refreshed from the host only if the cached one does not cover {@code end}. */
    private long sizeCovering(long end) throws HostIoException {
        int truncations = file.truncations();
        if (truncations != truncationsSeen) {
            forgetWindows();
            truncationsSeen = truncations;
        }
        long size = knownSize.get();
        if (end > size) {
            size = file.size();
            knownSize.set(size);
        }
        return size;
    }

    private void forgetWindows() {
        windows.clear();
        knownSize.set(-1);
    }

    /**
     * Moves {@code length} bytes between {@code buf} (from index {@code at}, position untouched) and the file at
     * {@code position}, window by window. Returns bytes moved: fewer only if a positional fallback read came up short.
     */
    private int copy(ByteBuffer buf, int at, long position, int length, boolean toFile) throws HostIoException {
        int moved = 0;
        while (moved < length) {
            long offset = position + moved;
            long index = offset / unit;
            int inWindow = (int) (offset - index * unit);
            int n = Math.min(length - moved, unit - inWindow);
            Window w = window(index, inWindow + n);
            if (w == null) {
                ByteBuffer piece = buf.slice(at + moved, n);
                if (toFile) {
                    file.write(piece, offset);
                } else if (file.read(piece, offset) < n) {
                    return moved + piece.position();
                }
            } else if (toFile) {
                w.map.put(inWindow, buf, at + moved, n);
                w.dirty = true;
            } else {
                buf.put(at + moved, w.map, inWindow, n);
            }
            moved += n;
        }
        return moved;
    }

    /** The window {@code index}, mapped at least {@code needed} bytes long; null if it cannot be mapped. */
    private Window window(long index, int needed) {
        Window w = windows.get(index);
        if (w != null && w.length >= needed) {
            return w;
        }
        long start = index * unit;
        int length = (int) Math.min(unit, knownSize.get() - start);
        if (length < needed) {
            return null;
        }
        try {
            return windows.compute(index, (k, old) -> old != null && old.length >= needed ? old : map(start, length, old));
        } catch (UncheckedIOException e) {
            return null; // e.g. ENOMEM for the address space: serve this piece with pread/pwrite
        }
    }

    private Window map(long start, int length, Window old) {
        try {
            // A longer window replacing a dirty shorter one covers its bytes, so it inherits the duty to msync them.
            return new Window(file.channel().map(mode, start, length), old != null && old.dirty);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
