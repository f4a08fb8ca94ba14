package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.hostio.testing.FcntlHolder;
import org.ubdjvm.hostio.testing.ProcLocks;

/** The UML kernel's lock, as other programs see it, and one descriptor per file so nothing drops it early. */
class HostFileLockTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final OpenMode LOCKED_RW = OpenMode.READ_WRITE.withLock(true);
    private static final OpenMode LOCKED_RO = OpenMode.READ_ONLY.withLock(true);

    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        return Files.write(dir.resolve(name), new byte[4096]);
    }

    private static List<ProcLocks.Lock> ours(Path p) throws IOException {
        return ProcLocks.heldBy(p, PID);
    }

    @Test
    void aLockedOpenIsTheKernelsWholeFilePosixLockWriteOrReadAndGoesWithClose() throws Exception {
        Path rw = file("rw");
        Path ro = file("ro");
        try (HostFile w = HostFile.open(rw, LOCKED_RW); HostFile r = HostFile.open(ro, LOCKED_RO)) {
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "WRITE", PID)), ours(rw));
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "READ", PID)), ours(ro));
            assertFalse(FcntlHolder.anotherProcessCouldLock(rw, false), "a reader got past our write lock");
            assertFalse(FcntlHolder.anotherProcessCouldLock(ro, true), "a writer got past our read lock");
        }
        assertEquals(List.of(), ours(rw));
        assertEquals(List.of(), ours(ro));
    }

    /** A live snapshot fsyncs the old top by name while its stack holds it locked: the lock must survive that. */
    @Test
    void anFsyncByNameOfAFileHeldHereKeepsItsLock() throws Exception {
        Path rw = file("held-rw");
        try (HostFile w = HostFile.open(rw, LOCKED_RW)) {
            HostFile.syncByName(rw);
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "WRITE", PID)), ours(rw));
            assertFalse(FcntlHolder.anotherProcessCouldLock(rw, false), "the fsync dropped our write lock");
        }
        Path free = file("not-held");
        HostFile.syncByName(free); // a file this process does not hold: its own descriptor, closed again
        assertEquals(List.of(), ours(free));
    }

    @Test
    void withoutTheLockFlagNothingIsLocked() throws Exception {
        Path p = file("plain");
        try (HostFile f = HostFile.open(p, OpenMode.READ_WRITE)) {
            assertEquals(List.of(), ours(p));
        }
    }

    @Test
    void anotherProcesssLockRefusesTheOpenNamingTheFileAndThePid() throws Exception {
        Path p = file("held");
        try (FcntlHolder python = FcntlHolder.hold(p, true)) {
            HostIoException w = assertThrows(HostIoException.class, () -> HostFile.open(p, LOCKED_RW));
            assertEquals(p + ": cannot lock for writing: pid " + python.pid() + " holds a write lock on it", w.getMessage());
            HostIoException r = assertThrows(HostIoException.class, () -> HostFile.open(p, LOCKED_RO));
            assertEquals(p + ": cannot lock for reading: pid " + python.pid() + " holds a write lock on it", r.getMessage());
            try (HostFile shared = HostFile.open(p, OpenMode.READ_ONLY)) { // the c flag, -U: no lock asked, none refused
                assertEquals(4096, shared.size());
            }
        }
        try (FcntlHolder reader = FcntlHolder.hold(p, false); HostFile alsoReading = HostFile.open(p, LOCKED_RO)) {
            HostIoException w = assertThrows(HostIoException.class, () -> HostFile.open(dir.resolve("held"), LOCKED_RW));
            assertTrue(w.getMessage().startsWith(p + ": already open read-only in this process"), w.getMessage());
        }
    }

    @Test
    void theSameFileTwiceInOneProcessOnlyWhenBothAreReadOnly() throws Exception {
        Path p = file("twice");
        Path link = Files.createSymbolicLink(dir.resolve("link"), p);
        try (HostFile w = HostFile.open(p, OpenMode.READ_WRITE)) {
            HostIoException e = assertThrows(HostIoException.class, () -> HostFile.open(link, OpenMode.READ_ONLY));
            assertEquals(link + ": already open read-write in this process as " + p
                    + "; a file may be opened twice only when both are read-only", e.getMessage());
        }
        try (HostFile r = HostFile.open(p, OpenMode.READ_ONLY)) {
            HostIoException e = assertThrows(HostIoException.class, () -> HostFile.open(p, OpenMode.READ_WRITE));
            assertEquals(p + ": already open read-only in this process; a file may be opened twice only when both are"
                    + " read-only", e.getMessage());
            try (HostFile again = HostFile.open(link, OpenMode.READ_ONLY)) {
                assertEquals(4096, again.read(ByteBuffer.allocate(8192), 0));
            }
            assertEquals(4096, r.read(ByteBuffer.allocate(8192), 0), "closing the other handle left this one open");
        }
        try (HostFile w = HostFile.open(p, OpenMode.READ_WRITE)) { // every handle gone: free again
            w.write(ByteBuffer.wrap(new byte[] {1}), 0);
        }
    }

    /**
     * POSIX drops a process's locks on a file when it closes ANY descriptor of it. A probe, a size check or a second
     * read-only layer on the same file, and the native descriptor the io_uring and aio engines use, must not.
     */
    @Test
    void closingAnotherHandleOrUsingTheNativeDescriptorKeepsTheLock() throws Exception {
        Path p = file("kept");
        try (HostFile locked = HostFile.open(p, LOCKED_RO)) {
            locked.nativeFd();
            try (HostFile probe = HostFile.open(p, OpenMode.READ_ONLY)) {
                probe.nativeFd();
                probe.read(ByteBuffer.allocate(512), 0);
            }
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "READ", PID)), ours(p));
        }
        assertEquals(List.of(), ours(p));
    }

    @Test
    void aLockedOpenJoiningAnUnlockedOneTakesTheLockThen() throws Exception {
        Path p = file("late");
        try (HostFile plain = HostFile.open(p, OpenMode.READ_ONLY)) {
            assertEquals(List.of(), ours(p));
            try (HostFile locked = HostFile.open(p, LOCKED_RO)) {
                assertEquals(List.of(new ProcLocks.Lock("POSIX", "READ", PID)), ours(p));
            }
            // the descriptor, and so the lock, lives while any handle does
            assertEquals(List.of(new ProcLocks.Lock("POSIX", "READ", PID)), ours(p));
        }
        assertEquals(List.of(), ours(p));
    }
}
