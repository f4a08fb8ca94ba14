package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Every host file this process has open, by (device, inode), with one descriptor each. POSIX record locks belong to
 * the process, and closing ANY descriptor of a file drops all of them: a second descriptor for a locked file (a
 * format probe, a size check, the same disk named twice) would silently unlock it when closed. So a second open of
 * an open file gets the same descriptor, and only when both opens are read-only; one that would write is refused,
 * since two writers in one process corrupt a COW bitmap as surely as two processes do.
 *
 * <p>Process-wide, hence the one static instance: the locks it guards are process-wide too. Opens run under its
 * monitor, so that no second descriptor is ever made while deciding: an open that hangs (a dead NFS server) holds
 * up other opens in this process, never requests on files already open.
 */
final class OpenFileTable {
    static final OpenFileTable PROCESS = new OpenFileTable();

    private final Map<Object, OpenFile> files = new HashMap<>();

    private OpenFileTable() {
    }

    /** The open file {@code path} names, shared or newly opened (and locked when {@code mode.lock()}). */
    synchronized OpenFile open(Path path, OpenMode mode) throws IOException {
        OpenFile held = held(path);
        if (held != null) {
            held.join(path, mode);
            return held;
        }
        OpenFile opened = OpenFile.open(path, mode);
        OpenFile raced = opened.identity() == null ? null : files.get(opened.identity());
        if (raced != null) {
            // renamed over the path since we looked, onto a file we hold: closing ours now would drop its lock
            raced.adopt(opened::close);
            throw new HostIoException(path, "file was replaced while it was being opened; open it again");
        }
        try {
            if (mode.lock()) {
                opened.lock(path);
            }
        } catch (HostIoException e) {
            opened.close();
            throw e;
        }
        if (opened.identity() != null) {
            files.put(opened.identity(), opened);
        }
        return opened;
    }

    /**
     * fsync of {@code path}: through this process's descriptor when it holds the file (a second descriptor's close
     * would drop the file's lock), else through one opened for it alone.
     */
    synchronized void sync(Path path) throws IOException {
        OpenFile held = held(path);
        if (held != null) {
            held.channel().force(true);
            return;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path,
                java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private OpenFile held(Path path) throws IOException {
        try {
            Object id = Files.exists(path) ? OpenFile.identity(path) : null;
            return id == null ? null : files.get(id);
        } catch (NoSuchFileException gone) {
            return null; // removed since exists(): the open below says so
        }
    }

    /** One handle lets go; the last one closes the descriptor, and with it the lock. */
    synchronized void release(OpenFile file) throws HostIoException {
        if (file.leave()) {
            files.remove(file.identity(), file);
            file.close();
        }
    }

    /**
     * Closes a descriptor opened by mistake on the file {@code identity} (a rename raced an open); when that file is
     * one we hold, the descriptor waits for it instead, because closing it now would drop the file's lock.
     */
    synchronized void closeStray(Path path, Object identity, Closeable stray) throws HostIoException {
        OpenFile holder = identity == null ? null : files.get(identity);
        if (holder != null) {
            holder.adopt(stray);
            return;
        }
        try {
            stray.close();
        } catch (IOException e) {
            throw HostIoException.wrap(path, "close failed", e);
        }
    }
}
