package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One open host file with positional I/O. Knows bytes and offsets only: no sectors, no formats.
 * Thread-safe: positional reads and writes never touch a shared file position.
 */
public final class HostFile implements Closeable {
    private static final ByteBuffer ONE_ZERO = ByteBuffer.allocate(1).asReadOnlyBuffer();

    private final Path path;
    private final OpenMode mode;
    private final FileChannel channel;
    /** (device, inode) seen at open, so a native descriptor opened later can prove it reaches the same file. */
    private final Object identity;
    private final Object nativeLock = new Object();
    /** Opened on first use by a native engine; -1 until then. Volatile for the lock-free fast path. */
    private volatile int nativeFd = -1;
    /** Cached filesystem block size for O_DIRECT; 0 until first asked. */
    private volatile int directAlignment;
    private boolean closed;
    /**
     * Counts truncations so the mmap engine can drop windows that now reach past the end: touching those would
     * raise SIGBUS, which the JVM reports late and somewhere else. Only written by truncate(), so ++ is safe enough:
     * truncating a file while other threads use it is already a caller's bug.
     */
    private volatile int truncations;

    private HostFile(Path path, OpenMode mode, FileChannel channel, Object identity) {
        this.path = path;
        this.mode = mode;
        this.channel = channel;
        this.identity = identity;
    }

    public static HostFile open(Path path, OpenMode mode) throws HostIoException {
        Set<OpenOption> options = new HashSet<>(Set.of(StandardOpenOption.READ));
        if (!mode.readOnly()) {
            options.add(StandardOpenOption.WRITE);
        }
        if (mode.create()) {
            options.add(mode.exclusive() ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
        }
        if (mode.syncWrites()) {
            options.add(StandardOpenOption.DSYNC);
        }
        if (mode.direct()) {
            options.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        }
        try {
            if (!mode.create() && Files.isDirectory(path)) {
                throw new HostIoException(path, "cannot open: is a directory");
            }
            FileChannel channel = FileChannel.open(path, options);
            return new HostFile(path, mode, channel, identity(path));
        } catch (IOException e) {
            if (mode.direct() && !(e instanceof java.nio.file.NoSuchFileException)) {
                throw HostIoException.wrap(path, "cannot open with O_DIRECT (does this filesystem support it?)", e);
            }
            throw HostIoException.wrap(path, "cannot open", e);
        }
    }

    public Path path() {
        return path;
    }

    /** The alignment O_DIRECT demands of offsets, lengths and buffer addresses; 0 when the file is not direct. */
    public int directAlignment() {
        if (!mode.direct()) {
            return 0;
        }
        int a = directAlignment;
        if (a == 0) {
            try {
                a = (int) Math.max(512, Files.getFileStore(path).getBlockSize());
            } catch (IOException | UnsupportedOperationException e) {
                a = 4096; // the largest logical block size in common use: safe when unknown
            }
            directAlignment = a;
        }
        return a;
    }

    /**
     * Null when a transfer at {@code position} with {@code buf} is fine for this file, else the refusal: on an
     * O_DIRECT file a misaligned request is refused, never silently split or corrupted. Heap buffers are fine (the
     * engines bounce them through aligned memory); a direct buffer must itself be aligned.
     */
    public HostIoException directRefusal(String op, ByteBuffer buf, long position) {
        int a = directAlignment();
        if (a == 0) {
            return null;
        }
        long address = buf.isDirect() ? LinuxNatives.address(buf) + buf.position() : 0;
        if (position % a == 0 && buf.remaining() % a == 0 && address % a == 0) {
            return null;
        }
        return new HostIoException(path, op + " of " + buf.remaining() + " bytes at offset " + position
                + " refused: O_DIRECT needs offset, length" + (buf.isDirect() ? " and buffer address" : "")
                + " aligned to " + a + " bytes");
    }

    public boolean readOnly() {
        return mode.readOnly();
    }

    public OpenMode mode() {
        return mode;
    }

    /** The channel, for engines in this module only: callers go through an {@link IoEngine}. */
    FileChannel channel() {
        return channel;
    }

    /**
     * A kernel file descriptor for the io_uring and aio engines, which hand it to the kernel in each request.
     * FileChannel keeps its descriptor private (reaching it needs {@code --add-opens java.base/...} on every
     * launcher), so we open the file a second time with {@code open(2)} and the same access mode, on first use only:
     * the sync and mmap engines never pay for it. Both descriptors share the page cache, so data written through one
     * is read through the other. The descriptor is checked to reach the inode opened by {@link #open}: a file renamed
     * over {@code path} meanwhile is refused instead of silently served.
     */
    int nativeFd() throws HostIoException {
        int fd = nativeFd;
        if (fd >= 0) {
            return fd;
        }
        synchronized (nativeLock) {
            if (closed) {
                throw new HostIoException(path, "file is closed");
            }
            if (nativeFd < 0) {
                nativeFd = openNative();
            }
            return nativeFd;
        }
    }

    private int openNative() throws HostIoException {
        int flags = (mode.readOnly() ? LinuxNatives.O_RDONLY : LinuxNatives.O_RDWR) | LinuxNatives.O_CLOEXEC
                | (mode.syncWrites() ? LinuxNatives.O_DSYNC : 0) | (mode.direct() ? LinuxNatives.O_DIRECT : 0);
        int fd;
        try {
            fd = LinuxNatives.open(path.toString(), flags, 0);
        } catch (LinkageError e) {
            throw new HostIoException(path, "cannot open for native I/O: JNA unavailable: " + e, e);
        }
        if (fd < 0) {
            throw new HostIoException(path, "cannot open for native I/O: " + Errno.describe(LinuxNatives.errno()));
        }
        Object seen;
        try {
            seen = identity(Path.of("/proc/self/fd/" + fd));
        } catch (IOException e) {
            seen = identity; // no /proc: cannot check, trust the path as the channel did
        }
        if (identity != null && !identity.equals(seen)) {
            LinuxNatives.close(fd);
            throw new HostIoException(path, "file was replaced since it was opened; reopen it");
        }
        return fd;
    }

    /** The (device, inode) pair of what {@code path} reaches, or null where the platform has no "unix" view. */
    private static Object identity(Path path) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino");
            return List.of(a.get("dev"), a.get("ino"));
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /** The error every engine reports for a write to a read-only file, so all engines say the same thing. */
    HostIoException readOnlyRefusal(long position) {
        return new HostIoException(path, "write at offset " + position + " refused: file is open read-only");
    }

    int truncations() {
        return truncations;
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    public long size() throws HostIoException {
        try {
            return channel.size();
        } catch (IOException e) {
            throw HostIoException.wrap(path, "cannot get size", e);
        }
    }

    /** Modification time in whole seconds, as the kernel compares it with a COW header's mtime. */
    public long mtimeSeconds() throws HostIoException {
        return mtimeSeconds(path);
    }

    public static long mtimeSeconds(Path path) throws HostIoException {
        try {
            return Files.getLastModifiedTime(path).to(TimeUnit.SECONDS);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "cannot stat", e);
        }
    }

    /**
     * Reads until {@code dst} is full or end of file. Returns the bytes read; the rest of {@code dst} is untouched.
     * Blocking: the sync engine and header/bitmap loading use it.
     */
    public int read(ByteBuffer dst, long position) throws HostIoException {
        HostIoException misaligned = directRefusal("read", dst, position);
        if (misaligned != null) {
            throw misaligned;
        }
        if (mode.direct() && !dst.isDirect()) {
            ByteBuffer bounce = alignedBounce(dst.remaining());
            int n = read(bounce, position);
            dst.put(bounce.flip());
            return n;
        }
        int total = 0;
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
                if (mode.direct() && n % directAlignment() != 0) {
                    // Only the end of file leaves an O_DIRECT read short of a whole block; asking again from that
                    // unaligned offset would be refused, where the answer (end of file) is already known.
                    break;
                }
            }
            return total;
        } catch (IOException e) {
            throw HostIoException.wrap(path, "read of " + dst.remaining() + " bytes at offset " + (position + total) + " failed", e);
        }
    }

    /** Writes all of {@code src} at {@code position}, extending the file if needed. */
    public void write(ByteBuffer src, long position) throws HostIoException {
        if (mode.readOnly()) {
            throw readOnlyRefusal(position);
        }
        HostIoException misaligned = directRefusal("write", src, position);
        if (misaligned != null) {
            throw misaligned;
        }
        if (mode.direct() && !src.isDirect()) {
            ByteBuffer bounce = alignedBounce(src.remaining());
            bounce.put(src).flip();
            write(bounce, position);
            return;
        }
        long at = position;
        try {
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        } catch (IOException e) {
            throw HostIoException.wrap(path, "write at offset " + at + " failed", e);
        }
    }

    /**
     * Aligned direct memory for a heap buffer's bytes on an O_DIRECT file. The JDK's own bounce for this case
     * fails in JDK 17 (a NullPointerException freeing its cached temporary buffer), so we never hand it one.
     */
    private ByteBuffer alignedBounce(int size) {
        int a = directAlignment();
        return ByteBuffer.allocateDirect(size + 2 * a).alignedSlice(a).limit(size);
    }

    /** fdatasync: data written so far (and the size) reaches the device. */
    public void datasync() throws HostIoException {
        if (mode.readOnly()) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "fdatasync failed", e);
        }
    }

    /** Grows the file to {@code length} without allocating blocks (one zero byte at the end, as uml_mkcow does). */
    public void extendSparse(long length) throws HostIoException {
        if (length > size()) {
            write(ONE_ZERO.duplicate(), length - 1);
        }
    }

    /**
     * Deallocates {@code [position, position + length)}: it reads as zeros afterwards and the file keeps its size.
     * Where the filesystem cannot punch holes, zeros are written instead, so the result is the same. An empty range
     * is done at once: fallocate(2) refuses a zero length with EINVAL, but there is nothing to deallocate.
     */
    public void punchHole(long position, long length) throws HostIoException {
        if (mode.readOnly()) {
            throw new HostIoException(path, "discard at offset " + position + " refused: file is open read-only");
        }
        if (length == 0) {
            return;
        }
        int rc = LinuxNatives.fallocate(nativeFd(), LinuxNatives.FALLOC_FL_PUNCH_HOLE | LinuxNatives.FALLOC_FL_KEEP_SIZE,
                position, length);
        if (rc == 0) {
            return;
        }
        int errno = LinuxNatives.errno();
        if (errno != LinuxNatives.EOPNOTSUPP) {
            throw new HostIoException(path, "discard of " + length + " bytes at offset " + position + " failed: "
                    + Errno.describe(errno));
        }
        long end = Math.min(position + length, size());
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(0, end - position)));
        for (long at = position; at < end; at += zeros.capacity()) {
            write(zeros.clear().limit((int) Math.min(zeros.capacity(), end - at)), at);
        }
    }

    public void truncate(long length) throws HostIoException {
        try {
            channel.truncate(length);
            truncations++;
        } catch (IOException e) {
            throw HostIoException.wrap(path, "truncate to " + length + " failed", e);
        }
    }

    @Override
    public void close() throws HostIoException {
        synchronized (nativeLock) {
            closed = true;
            if (nativeFd >= 0) {
                LinuxNatives.close(nativeFd);
                nativeFd = -1;
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            throw HostIoException.wrap(path, "close failed", e);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
