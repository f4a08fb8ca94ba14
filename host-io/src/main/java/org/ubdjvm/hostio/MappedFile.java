package org.ubdjvm.hostio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One host file as the mmap engine serves it: the file is cut into windows of {@code unit} bytes, each mapped on
 * first touch (a file smaller than one unit is one whole-file window). Windows never reach past the end of the file:
 * mapping beyond it would grow the file in READ_WRITE mode and fault in READ_ONLY mode. A window mapped when the file
 * was shorter is mapped again, longer, when a request needs bytes it lacks.
 *
 * <p>What is not mapped goes through pread/pwrite, which share the page cache with the mappings: non-regular files,
 * windows the kernel refuses to map or that lie beyond {@link WindowTable}'s reach, and writes that extend the file
 * (pwrite grows it; the windows follow on next touch).
 *
 * <p>A request whose window is mapped allocates nothing and takes no lock: a lookup in the {@link WindowTable}, a
 * memory copy, and for a write a dirty mark. Mapping a window is the only locked step.
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
    private final HostFile file;
    private final int unit;
    /** log2(unit) when unit is a power of two (the default 1 MiB is): a shift instead of a 64-bit division. */
    private final int unitShift;
    private final boolean mappable;
    private final WindowTable windows;
    /** The file size as last seen; -1 until first asked. Refreshed only when a request reaches past it. */
    private final AtomicLong knownSize = new AtomicLong(-1);
    /** {@link HostFile#truncations()} when the windows were last known to be inside the file. */
    private volatile int truncationsSeen;

    MappedFile(HostFile file, int unit) {
        this.file = file;
        this.unit = unit;
        this.unitShift = Integer.bitCount(unit) == 1 ? Integer.numberOfTrailingZeros(unit) : -1;
        this.mappable = Files.isRegularFile(file.path());
        this.windows = new WindowTable(file, unit);
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
        // An end past Long.MAX_VALUE wraps negative: pwrite lets the host refuse it (EINVAL) like every other engine.
        if (!mappable || end < 0 || sizeCovering(end) < end) {
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
        try {
            windows.forceDirty();
        } catch (UncheckedIOException e) {
            throw HostIoException.wrap(file.path(), "msync failed", e.getCause());
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
            long index = unitShift >= 0 ? offset >>> unitShift : offset / unit;
            int inWindow = (int) (offset - index * unit);
            int n = Math.min(length - moved, unit - inWindow);
            MappedByteBuffer w = windows.get(index, inWindow + n);
            if (w == null) {
                w = windows.map(index, inWindow + n, knownSize.get());
            }
            if (w == null) {
                ByteBuffer piece = buf.slice(at + moved, n); // the rare unmappable piece may allocate
                if (toFile) {
                    file.write(piece, offset);
                } else if (file.read(piece, offset) < n) {
                    return moved + piece.position();
                }
            } else if (toFile) {
                w.put(inWindow, buf, at + moved, n);
                windows.markDirty(index);
            } else {
                buf.put(at + moved, w, inWindow, n);
            }
            moved += n;
        }
        return moved;
    }
}
