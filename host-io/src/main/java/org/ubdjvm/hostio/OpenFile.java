package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one descriptor this process holds on a host file, shared by every {@link HostFile} open on it (read-only ones
 * only; {@link OpenFileTable} decides). It owns the channel, the native descriptor the io_uring and aio engines need,
 * and the POSIX record lock. Handle counting and the lock are guarded by the table's monitor.
 */
final class OpenFile {
    private final Path path;
    private final OpenMode mode;
    private final FileChannel channel;
    /** (device, inode) seen at open: the table's key, and how a native descriptor proves it reaches the same file. */
    private final Object identity;
    private final Object nativeLock = new Object();
    /** Opened on first use by a native engine; -1 until then. Volatile for the lock-free fast path. */
    private volatile int nativeFd = -1;
    private boolean closed;
    /** Counts truncations so the mmap engine can drop windows that now reach past the end (see MappedFile). */
    private volatile int truncations;
    private FileLock lock;
    private int handles = 1;
    /** Other descriptors of this file that a racing rename made us open; closing them earlier would drop our lock. */
    private final List<Closeable> strays = new ArrayList<>();

    private OpenFile(Path path, OpenMode mode, FileChannel channel, Object identity) {
        this.path = path;
        this.mode = mode;
        this.channel = channel;
        this.identity = identity;
    }

    static OpenFile open(Path path, OpenMode mode) throws IOException {
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
        FileChannel channel = FileChannel.open(path, options);
        try {
            return new OpenFile(path, mode, channel, identity(path));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The (device, inode) pair of what {@code path} reaches, or null where the platform has no "unix" view. */
    static Object identity(Path path) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino");
            return List.of(a.get("dev"), a.get("ino"));
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    Object identity() {
        return identity;
    }

    OpenMode mode() {
        return mode;
    }

    Path path() {
        return path;
    }

    FileChannel channel() {
        return channel;
    }

    int truncations() {
        return truncations;
    }

    void truncated() {
        truncations++; // only truncate() writes it, and only on a read-write file, which is never shared
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /** Another handle opens this file: allowed only when both read-only and alike; may take the read lock now. */
    void join(Path as, OpenMode wanted) throws HostIoException {
        if (!wanted.readOnly() || !mode.readOnly()) {
            throw new HostIoException(as, "already open " + (mode.readOnly() ? "read-only" : "read-write")
                    + " in this process" + (as.equals(path) ? "" : " as " + path)
                    + "; a file may be opened twice only when both are read-only");
        }
        if (wanted.direct() != mode.direct()) {
            throw new HostIoException(as, "already open in this process " + (mode.direct() ? "with" : "without")
                    + " O_DIRECT; it cannot be opened both ways at once");
        }
        if (wanted.lock() && lock == null) {
            lock(as);
        }
        handles++;
    }

    /** Drops one handle; true when it was the last. */
    boolean leave() {
        return --handles == 0;
    }

    /** Keeps another descriptor of this file open until this one closes (see {@link OpenFileTable#closeStray}). */
    void adopt(Closeable stray) {
        strays.add(stray);
    }

    /**
     * The UML kernel's lock ({@code os_lock_file}): whole file, write when read-write, read when read-only. The JDK
     * makes exactly that POSIX lock ({@code F_SETLK}, start 0, length 0 for Long.MAX_VALUE), so the kernel, python's
     * {@code fcntl.lockf} and another ubd all see it. Refused with the holder's pid where {@code F_GETLK} tells it.
     */
    void lock(Path as) throws HostIoException {
        boolean write = !mode.readOnly();
        String purpose = "cannot lock for " + (write ? "writing" : "reading");
        try {
            FileLock l = channel.tryLock(0, Long.MAX_VALUE, !write);
            if (l == null) {
                throw new HostIoException(as, purpose + ": " + holder(as, write));
            }
            lock = l;
        } catch (OverlappingFileLockException e) {
            throw new HostIoException(as, purpose + ": this process already locks it through another channel", e);
        } catch (IOException e) {
            throw HostIoException.wrap(as, purpose, e);
        }
    }

    private String holder(Path as, boolean write) {
        LockHolder h;
        try {
            h = LinuxNatives.lockHolder(nativeFd(as), write);
        } catch (HostIoException | LinkageError e) {
            h = null;
        }
        if (h == null || h.pid() <= 0) {
            return "another process holds a lock on it"; // an OFD lock has no pid, nor does a lock already let go
        }
        return "pid " + h.pid() + " holds a " + (h.write() ? "write" : "read") + " lock on it";
    }

    /**
     * A kernel file descriptor for the io_uring and aio engines, which hand it to the kernel in each request.
     * FileChannel keeps its descriptor private (reaching it needs {@code --add-opens java.base/...} on every
     * launcher), so we open the file a second time with {@code open(2)} and the same access mode, on first use only.
     * It lives exactly as long as the channel: closing it earlier would drop this process's POSIX lock on the file.
     * It is checked to reach the inode the channel opened: a file renamed over the path meanwhile is refused.
     */
    int nativeFd(Path as) throws HostIoException {
        int fd = nativeFd;
        if (fd >= 0) {
            return fd;
        }
        Object seen;
        synchronized (nativeLock) {
            if (closed) {
                throw new HostIoException(as, "file is closed");
            }
            if (nativeFd >= 0) {
                return nativeFd;
            }
            fd = openNative(as);
            try {
                seen = identity(Path.of("/proc/self/fd/" + fd));
            } catch (IOException e) {
                seen = identity; // no /proc: cannot check, trust the path as the channel did
            }
            if (identity == null || identity.equals(seen)) {
                nativeFd = fd;
                return fd;
            }
        }
        int foreign = fd; // outside our monitor: the table's comes first wherever both are taken
        OpenFileTable.PROCESS.closeStray(as, seen, () -> LinuxNatives.close(foreign));
        throw new HostIoException(as, "file was replaced since it was opened; reopen it");
    }

    private int openNative(Path as) throws HostIoException {
        int flags = (mode.readOnly() ? LinuxNatives.O_RDONLY : LinuxNatives.O_RDWR) | LinuxNatives.O_CLOEXEC
                | (mode.syncWrites() ? LinuxNatives.O_DSYNC : 0) | (mode.direct() ? LinuxNatives.O_DIRECT : 0);
        int fd;
        try {
            fd = LinuxNatives.open(path.toString(), flags, 0);
            if (fd < 0 && LinuxNatives.errno() == Errno.ENOENT) {
                // removed since the channel opened it (a backing deleted mid-run): the file lives on while open,
                // and the kernel's ubd would go on using it; reach it through the channel's own descriptor
                Path link = descriptorLink();
                fd = link == null ? fd : LinuxNatives.open(link.toString(), flags, 0);
            }
        } catch (LinkageError e) {
            throw new HostIoException(as, "cannot open for native I/O: JNA unavailable: " + e, e);
        }
        if (fd < 0) {
            throw new HostIoException(as, "cannot open for native I/O: " + Errno.describe(LinuxNatives.errno()));
        }
        return fd;
    }

    /** A {@code /proc/self/fd} entry reaching this file's inode, or null: opening it works once the name is gone. */
    private Path descriptorLink() {
        if (identity == null) {
            return null;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (identity.equals(identity(fd))) {
                        return fd;
                    }
                } catch (IOException closedMeanwhile) {
                    // another thread's descriptor, gone since the listing
                }
            }
        } catch (IOException | RuntimeException noProc) {
            // no /proc: the open fails as it did
        }
        return null;
    }

    /** Closes the native descriptor, any strays and the channel; the lock goes with them. */
    void close() throws HostIoException {
        synchronized (nativeLock) {
            closed = true;
            if (nativeFd >= 0) {
                LinuxNatives.close(nativeFd);
                nativeFd = -1;
            }
        }
        HostIoException first = null;
        for (Closeable s : strays) {
            try {
                s.close();
            } catch (IOException e) {
                first = first == null ? HostIoException.wrap(path, "close failed", e) : first;
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            throw HostIoException.wrap(path, "close failed", e);
        }
        if (first != null) {
            throw first;
        }
    }
}
