package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One open host file with positional I/O. Knows bytes and offsets only: no sectors, no formats.
 * Thread-safe: positional reads and writes never touch a shared file position.
 *
 * <p>Each process holds one descriptor per file ({@link OpenFileTable}): opening a file already open here shares its
 * descriptor when both opens are read-only and is refused otherwise, so closing this handle never drops a POSIX lock
 * another handle relies on. {@link OpenMode#lock()} takes the UML kernel's lock.
 */
public final class HostFile implements Closeable {
    private static final ByteBuffer ONE_ZERO = ByteBuffer.allocate(1).asReadOnlyBuffer();

    private final Path path;
    private final OpenMode mode;
    private final OpenFile file;
    /** Cached filesystem block size for O_DIRECT; 0 until first asked. */
    private volatile int directAlignment;
    private volatile boolean closed;

    private HostFile(Path path, OpenMode mode, OpenFile file) {
        this.path = path;
        this.mode = mode;
        this.file = file;
    }

    /**
     * Opens a file that can hold a disk: a regular file, a block device, {@code /dev/zero} or {@code /dev/null}.
     * Anything else (a FIFO, a socket, a directory, another character device) is refused before {@code open(2)},
     * which would block on a FIFO. A file swapped for a FIFO between that stat and the open can still block it: only
     * someone who may already replace the file can do that.
     */
    public static HostFile open(Path path, OpenMode mode) throws HostIoException {
        return open(path, mode, true);
    }

    /** Any file the kernel opens, FIFOs and character devices too: for tests of the engines on pipes and devices. */
    static HostFile openAnyKind(Path path, OpenMode mode) throws HostIoException {
        return open(path, mode, false);
    }

    private static HostFile open(Path path, OpenMode mode, boolean disksOnly) throws HostIoException {
        try {
            FileKind kind = FileKind.of(path);
            String refusal = kind == null ? null : disksOnly ? kind.refusal() : kind.directoryRefusal();
            if (refusal != null) {
                throw new HostIoException(path, "cannot open: " + refusal);
            }
            return new HostFile(path, mode, OpenFileTable.PROCESS.open(path, mode));
        } catch (HostIoException e) {
            throw e;
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
        return file.channel();
    }

    /** A kernel file descriptor for the io_uring and aio engines; see {@link OpenFile#nativeFd}. */
    int nativeFd() throws HostIoException {
        if (closed) {
            throw new HostIoException(path, "file is closed");
        }
        return file.nativeFd(path);
    }

    /** The error every engine reports for a write to a read-only file, so all engines say the same thing. */
    HostIoException readOnlyRefusal(long position) {
        return new HostIoException(path, "write at offset " + position + " refused: file is open read-only");
    }

    int truncations() {
        return file.truncations();
    }

    boolean isOpen() {
        return !closed && file.isOpen();
    }

    public long size() throws HostIoException {
        try {
            return file.channel().size();
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
     * Sets the modification time to {@code seconds} (no fraction), by name; not synced. For a live snapshot that
     * puts back the mtime a new COW header recorded of a file written since.
     */
    public static void setMtimeSeconds(Path path, long seconds) throws HostIoException {
        try {
            Files.setLastModifiedTime(path, java.nio.file.attribute.FileTime.from(seconds, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw HostIoException.wrap(path, "cannot set the mtime", e);
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
                int n = file.channel().read(dst, position + total);
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
                at += file.channel().write(src, at);
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
            file.channel().force(false);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "fdatasync failed", e);
        }
    }

    /**
     * fsync: data and every inode field, the mtime included, reach the device; allowed on a read-only handle. For a
     * caller that records this file's mtime elsewhere (a COW header), which fdatasync leaves unsynced.
     */
    public void sync() throws HostIoException {
        try {
            file.channel().force(true);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "fsync failed", e);
        }
    }

    /**
     * fsync of the file {@code path} names, by name: its data and its mtime reach the device. For a caller that is
     * about to record that mtime (a new COW over a layer still open here), with no handle of its own to the file.
     */
    public static void syncByName(Path path) throws HostIoException {
        try {
            OpenFileTable.PROCESS.sync(path);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "fsync failed", e);
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
        if (errno != Errno.EOPNOTSUPP) {
            throw new HostIoException(path, "discard of " + length + " bytes at offset " + position + " failed: "
                    + Errno.describe(errno));
        }
        long end = Math.min(position + length, size());
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(0, end - position)));
        for (long at = position; at < end; at += zeros.capacity()) {
            write(zeros.clear().limit((int) Math.min(zeros.capacity(), end - at)), at);
        }
    }

    /**
     * Where the next bytes the file holds data for start, at or after {@code position} (lseek SEEK_DATA): holes
     * before it read as zeros. The file's size when only a hole follows; {@code position} itself where the
     * filesystem cannot tell.
     */
    public long nextData(long position) throws HostIoException {
        long at = LinuxNatives.lseek(nativeFd(), position, LinuxNatives.SEEK_DATA);
        if (at >= 0) {
            return at;
        }
        int errno = LinuxNatives.errno();
        if (errno == Errno.ENXIO) {
            return Math.max(position, size());
        }
        if (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP) {
            return position;
        }
        throw new HostIoException(path, "lseek SEEK_DATA at offset " + position + " failed: " + Errno.describe(errno));
    }

    public void truncate(long length) throws HostIoException {
        try {
            file.channel().truncate(length);
            file.truncated();
        } catch (IOException e) {
            throw HostIoException.wrap(path, "truncate to " + length + " failed", e);
        }
    }

    /** Lets go of this handle; the descriptor, and the lock with it, close with the last handle on the file. */
    @Override
    public void close() throws HostIoException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        OpenFileTable.PROCESS.release(file);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
