package org.ubdjvm.hostio;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves reads and writes by copying to and from memory-mapped windows of each file (the seed's ubd-mmap, with its
 * "mmap unit" as {@code windowBytes}). Each operation completes on the caller's thread before it returns, like the
 * sync engine, but a request whose window is mapped costs a memory copy and no syscall. Datasync is msync of the
 * windows written since the last one, then fdatasync. See {@link MappedFile} for what falls back to pread/pwrite.
 */
public final class MmapEngine implements IoEngine {
    public static final String NAME = "mmap";
    /** 1 MiB: large enough that sequential I/O rarely crosses windows, small enough to map sparse images lazily. */
    public static final int DEFAULT_WINDOW_BYTES = 1 << 20;

    private final int windowBytes;
    private final ConcurrentHashMap<HostFile, MappedFile> files = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public MmapEngine() {
        this(DEFAULT_WINDOW_BYTES);
    }

    /** @param windowBytes bytes per mapped window (a multiple of the page size wastes no address space) */
    public MmapEngine(int windowBytes) {
        if (windowBytes < 1) {
            throw new IllegalArgumentException("mmap window must be at least 1 byte, not " + windowBytes);
        }
        this.windowBytes = windowBytes;
    }

    @Override
    public String name() {
        return NAME;
    }

    public int windowBytes() {
        return windowBytes;
    }

    /*
     * read and write complete inline like BlockingOperation, spelled out rather than passed a lambda: a capturing
     * lambda is an allocation per request, and this is the engine whose requests cost a memory copy and nothing else.
     */
    @Override
    public void read(HostFile file, ByteBuffer dst, long position, IoCompletion done) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only buffer");
        }
        int n;
        try {
            refuseMisaligned(file, "read", dst, position);
            n = mapped(file, "read", position).read(dst, position);
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(n, null); // outside the try: an exception from the callback is the caller's, not an I/O error
    }

    @Override
    public void write(HostFile file, ByteBuffer src, long position, IoCompletion done) {
        int n = src.remaining();
        try {
            if (file.readOnly()) {
                throw file.readOnlyRefusal(position);
            }
            refuseMisaligned(file, "write", src, position);
            mapped(file, "write", position).write(src, position);
        } catch (HostIoException e) {
            done.done(0, e);
            return;
        }
        done.done(n, null);
    }

    /** A mapping does not care about alignment, but an O_DIRECT file refuses the same requests on every engine. */
    private static void refuseMisaligned(HostFile file, String op, ByteBuffer buf, long position) throws HostIoException {
        HostIoException misaligned = file.directRefusal(op, buf, position);
        if (misaligned != null) {
            throw misaligned;
        }
    }

    @Override
    public void datasync(HostFile file, IoCompletion done) {
        BlockingOperation.complete(done, () -> {
            if (!file.readOnly()) {
                mapped(file, "fdatasync", 0).datasync();
            }
            return 0;
        });
    }

    private MappedFile mapped(HostFile file, String verb, long position) throws HostIoException {
        if (closed) {
            throw HostIoException.engineClosed(file.path(), verb, position, NAME);
        }
        MappedFile m = files.get(file);
        if (m == null) {
            // A new file is rare: forget closed ones now so the collector can unmap their windows.
            files.keySet().removeIf(f -> !f.isOpen());
            m = files.computeIfAbsent(file, f -> new MappedFile(f, windowBytes));
        }
        return m;
    }

    /** Later requests fail; mappings are released by the collector once no request still copies from them. */
    @Override
    public void close() {
        closed = true;
        files.clear();
    }
}
