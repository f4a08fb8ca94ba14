package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.hostio.testing.Fifos;

/**
 * A FIFO named as an image or a backing file used to block ubd forever in {@code open(2)}; now every command refuses
 * it at once with one line naming it (exit 2), and makes nothing.
 */
class SpecialFileTest {
    /** "At once": seconds at most on a loaded machine, where a blocked open is forever. */
    private static final Duration AT_ONCE = Duration.ofSeconds(5);
    private static final String REASON = "is a FIFO (named pipe), not a disk";

    @TempDir
    Path dir;

    private Path fifo;

    @BeforeEach
    void fifo() throws Exception {
        fifo = Fifos.mkfifo(dir.resolve("pipe"));
    }

    @Test
    void aFifoAsBackingOfCreate() {
        Path cow = dir.resolve("t.cow");
        refused("create", "-f", "cow", "-b", s(fifo), s(cow));
        assertFalse(Files.exists(cow), "no layer is made over a FIFO");
    }

    @Test
    void aFifoAsTheImageOfInfoIoConvertAndRun() {
        refused("info", s(fifo));
        refused("info", "-f", "raw", s(fifo));
        refused("io", "-c", "write 0 512", s(fifo));
        refused("io", "-r", "-c", "read 0 512", s(fifo));
        refused("convert", "-O", "raw", s(fifo), s(dir.resolve("out.img")));
        refused("run", "ubd0=" + fifo, "--ops=1");
        refused("run", "ubd0d=" + fifo, "--ops=1");
        assertFalse(Files.exists(dir.resolve("out.img")));
    }

    @Test
    void aCowWhoseHeaderNamesAFifo() throws Exception {
        Path back = dir.resolve("back.img");
        Ubd.patterned(back, 4096);
        Path cow = dir.resolve("t.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        Files.delete(back);
        Fifos.mkfifo(back);
        fifo = back;
        refused("info", s(cow));
        refused("io", "-c", "read 0 512", s(cow));
    }

    private void refused(String... args) {
        Ubd.Result r = assertTimeoutPreemptively(AT_ONCE, () -> Ubd.run(args), () -> "ubd " + String.join(" ", args));
        assertEquals(2, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(fifo + ": cannot open: " + REASON), r::toString);
    }
}
