package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exit codes mean one thing each: 1 is a verify or pattern mismatch only; a host error the user can act on is 2
 * with one line saying what, found as early as it can be; 3 is a bug.
 */
class ExitCodeTest {
    @TempDir
    Path dir;

    /** An unwritable --journal used to be reported after the whole workload, exit 1; now before any device opens. */
    @Test
    void aJournalThatCannotBeWrittenIsRefusedBeforeTheWorkload() throws Exception {
        Path back = Ubd.patterned(dir.resolve("back.img"), 1 << 20);
        Path cow = dir.resolve("new.cow");
        Path journal = dir.resolve("missing").resolve("run.journal");
        long started = System.nanoTime();
        Ubd.Result r = Ubd.run("run", "ubd0=" + cow + "," + back, "--runtime=60s", "--journal=" + journal);
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("ubd: " + journal + ": cannot write the journal here: cannot open: no such file"),
                r.errLines());
        assertFalse(Files.exists(cow), "no device was opened (nor its COW file made)");
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "refused before the 60 s workload");

        Ubd.Result dirJournal = Ubd.run("run", "ubd0=" + cow + "," + back, "--journal=" + dir);
        assertEquals(List.of("ubd: " + dir + ": is a directory; --journal names a file"), dirJournal.errLines());
    }

    /** Out of memory used to exit 1 with a stack trace; now 2 and one line saying which limit to raise. */
    @Test
    void outOfMemoryIsOneLineSayingWhatToRaise() throws Exception {
        Path disk = Files.write(dir.resolve("disk.img"), new byte[8 << 20]);
        Process p = UbdProcess.builder(List.of(), List.of("-Xmx64m", "-XX:MaxDirectMemorySize=16m"),
                "run", "ubd0d=" + disk, "--bs=8M", "--iodepth=8", "--ops=1")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("ubd: " + disk + ": out of memory (Cannot reserve"), err);
        assertTrue(err.contains("raise it with UBD_JAVA_OPTS="), err);
    }

    @Test
    void aPatternMismatchIsTheOnlyExit1() throws Exception {
        Path disk = Files.write(dir.resolve("disk.img"), new byte[1 << 20]);
        Ubd.Result r = Ubd.run("io", "-f", "raw", "-r", "-c", "read -P 7 0 512", s(disk));
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.err());
    }
}
