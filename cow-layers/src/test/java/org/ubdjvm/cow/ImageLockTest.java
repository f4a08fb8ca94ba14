package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.HostIoException;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.FcntlHolder;
import org.ubdjvm.hostio.testing.ProcLocks;
import org.ubdjvm.hostio.testing.ProcLocks.Lock;

/** Every layer of an open image carries the UML kernel's lock, and one process never opens a layer twice to write. */
class ImageLockTest {
    private static final FormatTable TABLE = FormatTable.standard();
    private static final long PID = ProcessHandle.current().pid();
    private static final List<Lock> WRITE = List.of(new Lock("POSIX", "WRITE", PID));
    private static final List<Lock> READ = List.of(new Lock("POSIX", "READ", PID));

    @TempDir
    Path dir;

    private Path back() throws IOException {
        return Files.exists(dir.resolve("back.img")) ? dir.resolve("back.img")
                : Disks.patternedRaw(dir.resolve("back.img"), 64 * 1024);
    }

    private Path cowOver(Path backing, String name) throws IOException {
        Path cow = dir.resolve(name);
        TABLE.create(CreateSpec.of(cow, UmlCowFormat.NAME).withBacking(backing));
        return cow;
    }

    private static OpenSpec spec(Path file) {
        return OpenSpec.of(file, new SyncEngine());
    }

    @Test
    void aReadWriteCowIsWriteLockedAndItsBackingReadLockedUntilClosed() throws Exception {
        Path back = back();
        Path cow = cowOver(back, "x.cow");
        try (BlockImage image = TABLE.open(spec(cow))) {
            assertEquals(WRITE, ProcLocks.heldBy(cow, PID));
            assertEquals(READ, ProcLocks.heldBy(back, PID));
        }
        try (BlockImage image = TABLE.open(spec(cow).withReadOnly(true))) {
            assertEquals(READ, ProcLocks.heldBy(cow, PID));
            assertEquals(READ, ProcLocks.heldBy(back, PID));
        }
        assertEquals(List.of(), ProcLocks.heldBy(cow, PID));
        assertEquals(List.of(), ProcLocks.heldBy(back, PID));
    }

    @Test
    void forceShareLocksNoLayer() throws Exception {
        Path back = back();
        Path cow = cowOver(back, "shared.cow");
        try (BlockImage image = TABLE.open(spec(cow).withForceShare(true))) {
            assertEquals(List.of(), ProcLocks.heldBy(cow, PID));
            assertEquals(List.of(), ProcLocks.heldBy(back, PID));
        }
    }

    @Test
    void anotherProgramsLockRefusesTheOpenAndNothingIsWritten() throws Exception {
        Path back = back();
        Path cow = cowOver(back, "held.cow");
        Path otherBack = Files.copy(back, dir.resolve("other.img"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        byte[] before = Files.readAllBytes(cow);
        try (FcntlHolder python = FcntlHolder.hold(cow, true)) {
            // a different backing would rewrite the header on a read-write open: the lock refuses it first
            HostIoException e = assertThrows(HostIoException.class,
                    () -> TABLE.open(spec(cow).withBacking(otherBack)).close());
            assertEquals(cow + ": cannot lock for writing: pid " + python.pid() + " holds a write lock on it",
                    e.getMessage());
            HostIoException ro = assertThrows(HostIoException.class,
                    () -> TABLE.open(spec(cow).withReadOnly(true)).close());
            assertEquals(cow + ": cannot lock for reading: pid " + python.pid() + " holds a write lock on it",
                    ro.getMessage());
            try (BlockImage shared = TABLE.open(spec(cow).withReadOnly(true).withForceShare(true))) {
                assertEquals(64 * 1024, shared.size());
            }
        }
        assertEquals(true, Arrays.equals(before, Files.readAllBytes(cow)), "the COW file changed");
        try (FcntlHolder python = FcntlHolder.hold(back, true)) {
            HostIoException e = assertThrows(HostIoException.class, () -> TABLE.open(spec(cow)).close());
            assertEquals(back + ": cannot lock for reading: pid " + python.pid() + " holds a write lock on it",
                    e.getMessage());
            assertEquals(List.of(), ProcLocks.heldBy(cow, PID), "the COW's lock stays taken after its backing failed");
        }
    }

    @Test
    void checkLocksLikeAnOpenAndForceShareReachesTheBackingThroughItToo() throws Exception {
        Path back = back();
        Path cow = cowOver(back, "checked.cow");
        try (FcntlHolder onCow = FcntlHolder.hold(cow, true); FcntlHolder onBack = FcntlHolder.hold(back, true)) {
            HostIoException repair = assertThrows(HostIoException.class, () -> TABLE.check(spec(cow), true));
            assertEquals(cow + ": cannot lock for writing: pid " + onCow.pid() + " holds a write lock on it",
                    repair.getMessage());
            // no engine given: check picks its own, and the copy of the spec it makes must still share
            assertEquals(true, TABLE.check(OpenSpec.of(cow, null).withForceShare(true), false).clean());
        }
    }

    @Test
    void oneProcessOpensAFileTwiceOnlyWhenBothAreReadOnly() throws Exception {
        Path back = back();
        Path a = cowOver(back, "a.cow");
        Path b = cowOver(back, "b.cow");
        Path overA = cowOver(a, "over-a.cow");
        try (BlockImage first = TABLE.open(spec(a)); BlockImage second = TABLE.open(spec(b))) {
            assertEquals(READ, ProcLocks.heldBy(back, PID), "two COWs share one read-only backing");
            IOException twice = assertThrows(IOException.class, () -> TABLE.open(spec(a)).close());
            assertEquals(a + ": already open read-write in this process; a file may be opened twice only when both"
                    + " are read-only", twice.getMessage());
            IOException below = assertThrows(IOException.class, () -> TABLE.open(spec(overA)).close());
            assertEquals(a + ": already open read-write in this process; a file may be opened twice only when both"
                    + " are read-only", below.getMessage());
            assertEquals(WRITE, ProcLocks.heldBy(a, PID), "a refused second open left the first one's lock alone");
        }
        try (BlockImage upper = TABLE.open(spec(overA)); BlockImage alsoReading = TABLE.open(spec(a).withReadOnly(true))) {
            assertEquals(READ, ProcLocks.heldBy(a, PID));
        }
    }
}
