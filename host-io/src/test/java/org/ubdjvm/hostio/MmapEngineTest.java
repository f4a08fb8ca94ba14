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

    @Test
    void windowsOfAnySizeServeRequestsThatCrossThem() throws Exception {
        // 10 000 bytes: not a power of two (no shift), not a page multiple (mappings start mid-page)
        byte[] data = EngineConformanceTest.pattern(200_000, 3);
        Path p = Files.write(dir.resolve("odd"), data);
        byte[] update = EngineConformanceTest.pattern(65_536, 4);
        try (MmapEngine engine = new MmapEngine(10_000); HostFile file = HostFile.open(p, OpenMode.READ_WRITE)) {
            Outcome w = new Outcome();
            engine.write(file, ByteBuffer.wrap(update), 12_345, w);
            assertEquals(update.length, w.result());
            System.arraycopy(update, 0, data, 12_345, update.length);
            ByteBuffer all = ByteBuffer.allocateDirect(data.length);
            Outcome r = new Outcome();
            engine.read(file, all, 0, r);
            assertEquals(data.length, r.result());
            byte[] got = new byte[data.length];
            all.get(0, got);
            assertArrayEquals(data, got);
            Outcome synced = new Outcome();
            engine.datasync(file, synced);
            assertEquals(0, synced.result());
        }
        assertArrayEquals(data, Files.readAllBytes(p));
    }

    @Test
    void offsetsBeyondTheWindowTablesReachAreServedPositionally() throws Exception {
        // 1-byte windows: the table reaches 2^30 of them, so bytes past 1 GiB are never mapped
        long far = (1L << 30) + 100;
        Path p = dir.resolve("far");
        try (MmapEngine engine = new MmapEngine(1); HostFile file = HostFile.open(p, OpenMode.CREATE_NEW)) {
            file.extendSparse(far + 4096);
            byte[] near = {1, 2, 3};
            byte[] beyond = {4, 5, 6};
            Outcome w1 = new Outcome();
            Outcome w2 = new Outcome();
            engine.write(file, ByteBuffer.wrap(near), 10, w1);
            engine.write(file, ByteBuffer.wrap(beyond), far, w2);
            assertEquals(3, w1.result());
            assertEquals(3, w2.result());
            ByteBuffer back = ByteBuffer.allocate(3);
            Outcome r = new Outcome();
            engine.read(file, back, far, r);
            assertEquals(3, r.result());
            assertArrayEquals(beyond, back.array());
            ByteBuffer positional = ByteBuffer.allocate(3);
            file.read(positional, 10);
            assertArrayEquals(near, positional.array());
        }
    }
}
