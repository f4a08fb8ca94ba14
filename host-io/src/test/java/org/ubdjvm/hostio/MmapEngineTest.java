package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the mmap engine can get wrong: windows that no longer match the file. */
class MmapEngineTest {
    @TempDir
    Path dir;

    @Test
    void aFileTruncatedUnderItsWindowsIsServedFromTheNewEndNotAFault() throws Exception {
        byte[] data = EngineConformanceTest.pattern(256 << 10, 1);
        Path p = Files.write(dir.resolve("shrink"), data);
        try (MmapEngine engine = new MmapEngine(64 << 10); HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            Outcome first = new Outcome();
            engine.read(file, ByteBuffer.allocate(256 << 10), 0, first); // maps all four windows
            assertEquals(256 << 10, first.result());
            file.truncate(10_000); // the old windows now reach past the end: touching them would raise SIGBUS
            ByteBuffer dst = ByteBuffer.allocate(64 << 10);
            Outcome again = new Outcome();
            engine.read(file, dst, 0, again);
            assertEquals(10_000, again.result());
            assertArrayEquals(Arrays.copyOf(data, 10_000), Arrays.copyOf(dst.array(), 10_000));
            Outcome past = new Outcome();
            engine.read(file, ByteBuffer.allocate(100), 200_000, past);
            assertEquals(0, past.result());
        }
    }

    @Test
    void aFileGrownBehindTheEngineIsMappedAgainLonger() throws Exception {
        Path p = Files.write(dir.resolve("grow"), new byte[1000]);
        try (MmapEngine engine = new MmapEngine(1 << 20); HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            Outcome small = new Outcome();
            engine.read(file, ByteBuffer.allocate(1000), 0, small); // a 1000-byte window
            assertEquals(1000, small.result());
            byte[] more = EngineConformanceTest.pattern(5000, 2);
            file.write(ByteBuffer.wrap(more), 1000);
            ByteBuffer dst = ByteBuffer.allocate(6000);
            Outcome all = new Outcome();
            engine.read(file, dst, 0, all);
            assertEquals(6000, all.result());
            assertArrayEquals(more, Arrays.copyOfRange(dst.array(), 1000, 6000));
        }
    }
}
