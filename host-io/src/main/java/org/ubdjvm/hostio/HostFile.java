package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
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

    private HostFile(Path path, OpenMode mode, FileChannel channel) {
        this.path = path;
        this.mode = mode;
        this.channel = channel;
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
        try {
            if (!mode.create() && Files.isDirectory(path)) {
                throw new HostIoException(path, "cannot open: is a directory");
            }
            return new HostFile(path, mode, FileChannel.open(path, options));
        } catch (IOException e) {
            throw HostIoException.wrap(path, "cannot open", e);
        }
    }

    public Path path() {
        return path;
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
        int total = 0;
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw HostIoException.wrap(path, "read of " + dst.remaining() + " bytes at offset " + (position + total) + " failed", e);
        }
    }

    /** Writes all of {@code src} at {@code position}, extending the file if needed. */
    public void write(ByteBuffer src, long position) throws HostIoException {
        if (mode.readOnly()) {
            throw new HostIoException(path, "write at offset " + position + " refused: file is open read-only");
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

    public void truncate(long length) throws HostIoException {
        try {
            channel.truncate(length);
        } catch (IOException e) {
            throw HostIoException.wrap(path, "truncate to " + length + " failed", e);
        }
    }

    public boolean isSameFile(Path other) {
        try {
            return Files.exists(other, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(path, other);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws HostIoException {
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
