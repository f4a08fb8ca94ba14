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
        fill(small.resolve("filler"));
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", s(small)).redirectErrorStream(true).start().waitFor();
    }

    @Test
    void createRawLeavesNoFile() throws Exception {
        Path img = small.resolve("new.raw");
        refused(img, "create", "-f", "raw", s(img), "1M");
        refused(img, "create", "-f", "raw", s(img), "1M"); // the retry says ENOSPC again, not "already exists"
    }

    @Test
    void createCowLeavesNoFile() throws Exception {
        Path cow = small.resolve("new.cow");
        refused(cow, "create", "-f", "cow", "-b", s(back), s(cow));
    }

    @Test
    void convertLeavesNoFileAndTheInputAsItWas() throws Exception {
        String before = SharedVectors.md5(back);
        Path out = small.resolve("out.raw");
        refused(out, "convert", "-O", "raw", s(back), s(out));
        assertEquals(before, SharedVectors.md5(back));
    }

    @Test
    void aDeviceCreatedOnOpenLeavesNoFile() throws Exception {
        Path cow = small.resolve("dev.cow");
        refused(cow, "run", "ubd0=" + cow + "," + back, "--ops=1");
    }

    private void refused(Path file, String... args) throws IOException {
        Ubd.Result r = Ubd.run(args);
        assertEquals(2, r.exit(), r::toString);
        List<String> lines = r.errLines().stream().filter(l -> !l.startsWith("ubd: warning:")).toList();
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("ubd: " + file + ": "), r::toString);
        assertTrue(lines.get(0).contains("No space left on device"), r::toString);
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
