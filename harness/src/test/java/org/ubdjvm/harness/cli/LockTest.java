package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.UmlKernel;
import org.ubdjvm.hostio.testing.FcntlHolder;
import org.ubdjvm.hostio.testing.ProcLocks;
import org.ubdjvm.hostio.testing.ProcLocks.Lock;

/**
 * The kernel's image lock from the command line, against real holders: a {@code ubd run} in another JVM, the real
 * {@code linux.uml}, python3's {@code fcntl.lockf}. Every process started here is killed when the test ends.
 */
class LockTest {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killEverythingStarted() throws InterruptedException {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path cowOverRaw(String name) {
        Path back = dir.resolve(name + ".img");
        Path cow = dir.resolve(name + ".cow");
        Ubd.run("create", "-f", "raw", s(back), "8M").ok();
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        return cow;
    }

    /** {@code ubd run ubd0=COW,BACKING} in another JVM, returned once it holds the COW's and the backing's locks. */
    private Process guestHolding(Path cow, Path back) throws IOException, InterruptedException {
        Path log = dir.resolve("guest-" + started.size() + ".log");
        Process guest = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), UbdMain.class.getName(), "run",
                "ubd0=" + s(cow) + "," + s(back), "--rw=randrw", "--rwmixread=99", "--runtime=60s"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(guest);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        // the COW is locked before its backing is opened: wait for both, or a loaded machine sees the gap
        while (ProcLocks.heldBy(cow, guest.pid()).isEmpty() || ProcLocks.heldBy(back, guest.pid()).isEmpty()) {
            if (!guest.isAlive() || System.nanoTime() > deadline) {
                fail("ubd run never locked " + cow + " and " + back + ":\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
        return guest;
    }

    private static String refusal(Path file, String lockFor, long pid) {
        return "ubd: " + file + ": cannot lock for " + lockFor + ": pid " + pid + " holds a write lock on it\n";
    }

    /** The race: a second writer beside {@code ubd run} lost a flushed write 3 times in 3. Now it is refused. */
    @Test
    void whileUbdRunHoldsACowASecondWriterIsRefusedAndInfoStillWorks() throws Exception {
        Path cow = cowOverRaw("race");
        Path back = dir.resolve("race.img");
        Process guest = guestHolding(cow, back);
        assertEquals(List.of(new Lock("POSIX", "WRITE", guest.pid())), ProcLocks.heldBy(cow, guest.pid()));
        assertEquals(List.of(new Lock("POSIX", "READ", guest.pid())), ProcLocks.heldBy(back, guest.pid()));

        Ubd.Result write = Ubd.run("io", "-c", "write -P 0x77 4M 64k", "-c", "flush", "-c", "read -P 0x77 4M 64k", s(cow));
        assertEquals(2, write.exit(), write::toString);
        assertEquals(refusal(cow, "writing", guest.pid()), write.err());
        assertEquals("", write.out(), "nothing was written");
        Ubd.Result read = Ubd.run("io", "-r", "-c", "read 0 4k", s(cow));
        assertEquals(refusal(cow, "reading", guest.pid()), read.err(), "a read lock conflicts with the writer's");
        Ubd.Result backing = Ubd.run("io", "-c", "write 0 4k", s(back));
        assertEquals("ubd: " + back + ": cannot lock for writing: pid " + guest.pid() + " holds a read lock on it\n",
                backing.err(), "the backing is read-locked");

        Ubd.Result info = Ubd.run("info", s(cow)).ok();
        assertTrue(info.out().contains("virtual size: 8 MiB"), info::toString);
        Ubd.run("io", "-U", "-r", "-c", "read 0 64k", s(cow)).ok();

        guest.destroy();
        assertTrue(guest.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of(), ProcLocks.on(cow), "the lock goes with the process");
        Ubd.run("io", "-c", "write -P 0x77 4M 64k", "-c", "flush", s(cow)).ok();
        Ubd.run("io", "-r", "-c", "read -P 0x77 4M 64k", s(cow)).ok();
    }

    @Test
    void theRealKernelRefusesACowUbdRunHolds() throws Exception {
        Path cow = cowOverRaw("held");
        Process guest = guestHolding(cow, dir.resolve("held.img"));
        String log = UmlKernel.boot(dir, "held.cow,held.img", true);
        assertTrue(log.contains("F_SETLK failed, file already locked by pid " + guest.pid()), log);
        assertTrue(log.contains("Failed to lock 'held.cow', err = 11"), log);
    }

    @Test
    void anFcntlLockOfAnotherProgramRefusesUbdUnlessCOrForceShare() throws Exception {
        Path cow = cowOverRaw("py");
        Path back = dir.resolve("py.img");
        try (FcntlHolder onCow = FcntlHolder.hold(cow, true); FcntlHolder onBack = FcntlHolder.hold(back, true)) {
            Ubd.Result io = Ubd.run("io", "-c", "write -P 0x11 0 4k", s(cow));
            assertEquals(2, io.exit(), io::toString);
            assertEquals(refusal(cow, "writing", onCow.pid()), io.err());
            Ubd.Result run = Ubd.run("run", "ubd0=" + s(cow) + "," + s(back), "--ops=10");
            assertEquals(2, run.exit(), run::toString);
            assertEquals(refusal(cow, "writing", onCow.pid()), run.err());

            Ubd.run("run", "ubd0c=" + s(cow) + "," + s(back), "--rw=randread", "--ops=10").ok();
            Ubd.run("run", "-U", "ubd0=" + s(cow) + "," + s(back), "--rw=randread", "--ops=10").ok();
            Ubd.run("io", "--force-share", "-c", "write -P 0x11 0 4k", s(cow)).ok();
        }
    }

    @Test
    void oneRunOpensAFileTwiceOnlyReadOnly() throws Exception {
        Path cow = cowOverRaw("d");
        Ubd.Result twice = Ubd.run("run", "ubd0=" + s(cow), "ubd1=" + s(cow), "--ops=10");
        assertEquals(2, twice.exit(), twice::toString);
        assertEquals("ubd: " + cow + ": already open read-write in this process; a file may be opened twice only when"
                + " both are read-only\n", twice.err());
        Ubd.run("run", "ubd0r=" + s(cow), "ubd1r=" + s(cow), "--rw=randread", "--ops=10").ok();
    }
}
