package org.ubdjvm.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ubdjvm.harness.cli.Ubd.s;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.SharedVectors;
import org.ubdjvm.hostio.testing.CiRule;

/**
 * On a full filesystem (a 1 MiB tmpfs, filled) every command that makes a file fails with one line naming the file
 * the user gave and ENOSPC, and leaves nothing behind: no file at the final name (a retry is not "already exists"),
 * no temporary. Needs root for mount; skipped elsewhere, failed under CI=true.
 */
class FullFilesystemTest {
    @TempDir
    Path dir;

    private Path small;
    private Path back;

    @BeforeEach
    void fullFilesystem() throws Exception {
        back = Ubd.patterned(dir.resolve("back.img"), 256 * 1024);
        small = Files.createDirectory(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", s(small))
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes());
        if (mount.waitFor() != 0) {
            CiRule.skipOrFail("cannot mount a small tmpfs (needs root): " + said.strip());
        }
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", s(small)).redirectErrorStream(true).start().waitFor();
    }

    @Test
    void createRawLeavesNoFile() throws Exception {
        fill();
        Path img = small.resolve("new.raw");
        refused(img, "create", "-f", "raw", s(img), "1M");
        refused(img, "create", "-f", "raw", s(img), "1M"); // the retry says ENOSPC again, not "already exists"
    }

    @Test
    void createCowLeavesNoFile() throws Exception {
        fill();
        Path cow = small.resolve("new.cow");
        refused(cow, "create", "-f", "cow", "-b", s(back), s(cow));
    }

    @Test
    void convertLeavesNoFileAndTheInputAsItWas() throws Exception {
        fill();
        String before = SharedVectors.md5(back);
        Path out = small.resolve("out.raw");
        refused(out, "convert", "-O", "raw", s(back), s(out));
        assertEquals(before, SharedVectors.md5(back));
    }

    @Test
    void aDeviceCreatedOnOpenLeavesNoFile() throws Exception {
        fill();
        Path cow = small.resolve("dev.cow");
        refused(cow, "run", "ubd0=" + cow + "," + back, "--ops=1");
    }

    /**
     * A run whose disk fills up stops at the first host error, with one line naming the file, the offset and
     * ENOSPC (it used to count 40 000 errors and exit 1, the code of a verify mismatch); asked to go on, it counts
     * them and still exits 2.
     */
    @Test
    void aRunStopsAtTheFirstHostErrorUnlessAskedToGoOn() throws Exception {
        Path cow = small.resolve("disk.cow");
        Ubd.run("create", "-f", "cow", "-b", s(back), s(cow)).ok();
        fill();
        Ubd.Result r = Ubd.run("run", "ubd0=" + cow, "--rw=randwrite", "--runtime=30s", "--verify");
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out(), "stopped at the error, with no report of a run that did not finish");
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().matches("ubd: " + java.util.regex.Pattern.quote(s(cow))
                + ": write of \\d+ bytes at offset \\d+ failed: ENOSPC \\(No space left on device\\)\\n"), r::toString);

        Ubd.Result counted = Ubd.run("run", "ubd0=" + cow, "--rw=randwrite", "--ops=50", "--continue-on-error");
        assertEquals(2, counted.exit(), counted::toString);
        assertTrue(counted.out().matches("(?s).*\\nerrors: [1-9][0-9]*\\n.*ENOSPC.*"), counted::toString);
    }

    private void fill() throws IOException {
        fill(small.resolve("filler"));
    }

    private void refused(Path file, String... args) throws IOException {
        Ubd.Result r = Ubd.run(args);
        assertEquals(2, r.exit(), r::toString);
        List<String> lines = r.errLines().stream().filter(l -> !l.startsWith("ubd: warning:")).toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("ubd: " + file + ": "), r::toString);
        assertTrue(lines.get(0).contains("ENOSPC (No space left on device)"), r::toString);
        assertEquals(List.of("filler"), names(), "nothing left in the full filesystem");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(small)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Writes until the filesystem says ENOSPC. */
    private static void fill(Path filler) throws IOException {
        try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(4096);
            while (true) {
                ch.write(block.clear());
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
    }
}
