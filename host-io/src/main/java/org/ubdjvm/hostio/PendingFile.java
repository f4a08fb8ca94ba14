package org.ubdjvm.hostio;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file being made under a temporary name beside its final one ({@code .NAME.ubd-PURPOSE-PID}), put in place by
 * {@link #commit} only once complete and durable, so no half-made file ever has the final name. Closed without a
 * commit (a failure), the temporary is removed; so it is when the process ends on a signal (SIGINT, SIGTERM,
 * SIGHUP). What a {@code kill -9} leaves is removed by the next pending file made in that directory: a temporary
 * whose PID no longer runs is nobody's. (A process of another PID namespace writing into the same directory could
 * look dead from here: do not share such directories between containers while ubd writes into them.)
 */
public final class PendingFile implements Closeable {
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.ubd-[a-z]+-([0-9]+)");

    private final Path target;
    private final Path temporary;
    private boolean done;

    private PendingFile(Path target, Path temporary) {
        this.target = target;
        this.temporary = temporary;
    }

    /**
     * A temporary name for {@code target} (made absolute; nothing is created yet), after removing the leftovers of
     * killed runs from its directory. {@code purpose} is a lower-case word that says which command made it.
     */
    public static PendingFile beside(Path target, String purpose) throws HostIoException {
        Path absolute = target.toAbsolutePath();
        Path name = absolute.getFileName();
        if (name == null) {
            throw new HostIoException(target, "not a file name");
        }
        Path temporary = absolute.resolveSibling("." + name + ".ubd-" + purpose + "-" + ProcessHandle.current().pid());
        Temporaries.PROCESS.sweep(absolute.getParent());
        Temporaries.PROCESS.register(temporary);
        return new PendingFile(absolute, temporary);
    }

    /** Where to make the file. */
    public Path path() {
        return temporary;
    }

    public Path target() {
        return target;
    }

    /**
     * Makes the temporary durable and gives it the final name, durably too (the directory is synced). Without
     * {@code replace} an existing file at the final name is never replaced: the commit fails instead and the
     * temporary is removed on {@link #close()}.
     */
    public void commit(boolean replace) throws HostIoException {
        try (HostFile f = HostFile.open(temporary, OpenMode.READ_WRITE)) {
            f.datasync();
        }
        try {
            if (replace) {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                linkWithoutReplacing();
            }
            done = true;
            Temporaries.PROCESS.unregister(temporary);
        } catch (FileAlreadyExistsException e) {
            throw new HostIoException(target, "already exists; a new file never replaces it");
        } catch (IOException e) {
            throw HostIoException.wrap(target, "cannot put the new file in place", e);
        }
        syncDirectory(target.getParent());
    }

    /** link(2) fails when the name exists, where rename(2) would replace it. */
    private void linkWithoutReplacing() throws IOException {
        try {
            Files.createLink(target, temporary);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException noHardLinks) { // vfat and friends: EPERM
            moveIfAbsent();
            return;
        }
        Files.delete(temporary);
    }

    private void moveIfAbsent() throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Makes the names in {@code dir} durable: a file created, renamed or removed there survives a crash as it is now. */
    public static void syncDirectory(Path dir) throws HostIoException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            throw HostIoException.wrap(dir, "cannot sync the directory", e);
        }
    }

    /** Removes the temporary unless committed. */
    @Override
    public void close() throws HostIoException {
        if (done) {
            return;
        }
        done = true;
        try {
            Files.deleteIfExists(temporary);
        } catch (IOException e) {
            throw HostIoException.wrap(temporary, "cannot remove the unfinished file", e);
        } finally {
            Temporaries.PROCESS.unregister(temporary);
        }
    }

    /**
     * The temporaries this process has not finished, removed by a shutdown hook if it ends on a signal, and the
     * directories already swept. Process-wide, as signals are.
     */
    private static final class Temporaries {
        static final Temporaries PROCESS = new Temporaries();

        private final Set<Path> open = ConcurrentHashMap.newKeySet();
        private final Set<Path> swept = ConcurrentHashMap.newKeySet();
        private volatile boolean hooked;

        void register(Path temporary) {
            if (!hooked) {
                synchronized (this) {
                    if (!hooked) {
                        Runtime.getRuntime().addShutdownHook(new Thread(this::removeAll, "ubd-remove-temporaries"));
                        hooked = true;
                    }
                }
            }
            open.add(temporary);
        }

        void unregister(Path temporary) {
            open.remove(temporary);
        }

        private void removeAll() {
            for (Path p : open) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("ubd: " + p + ": cannot remove the unfinished file: " + e.getMessage());
                }
            }
        }

        /** Removes what killed ubd processes left in {@code dir}: once per directory per process. */
        void sweep(Path dir) {
            if (dir == null || !swept.add(dir)) {
                return;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*.ubd-*-*")) {
                for (Path p : entries) {
                    Matcher m = TEMPORARY.matcher(p.getFileName().toString());
                    if (m.matches() && orphaned(m.group(1)) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // best effort: a directory we cannot list or a leftover we cannot remove stops nothing
            }
        }

        private static boolean orphaned(String pid) {
            try {
                return ProcessHandle.of(Long.parseLong(pid)).isEmpty();
            } catch (NumberFormatException e) {
                return false;
            }
        }
    }
}
