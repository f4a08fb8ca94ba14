package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostFileTest {
    @TempDir
    Path dir;

    @Test
    void readStopsAtEndOfFileAndReportsWhatItRead() throws IOException {
        Path p = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
        try (HostFile f = HostFile.open(p, OpenMode.READ_ONLY)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            assertEquals(2, f.read(b, 1));
            assertArrayEquals(new byte[] {2, 3, 0, 0, 0, 0, 0, 0}, b.array());
            assertEquals(0, f.read(ByteBuffer.allocate(4), 100));
        }
    }

    @Test
    void writesToAReadOnlyFileFailOnTheRequestThatTriedAndNameTheFile() throws IOException {
        Path p = Files.write(dir.resolve("ro"), new byte[512]);
        try (HostFile f = HostFile.open(p, OpenMode.READ_ONLY); SyncEngine engine = new SyncEngine()) {
            AtomicReference<IOException> error = new AtomicReference<>();
            engine.write(f, ByteBuffer.allocate(512), 0, (n, e) -> error.set(e));
            assertTrue(error.get().getMessage().startsWith(p + ": write at offset 0 refused"), error.get().getMessage());
        }
        assertArrayEquals(new byte[512], Files.readAllBytes(p));
    }

    @Test
    void extendSparseGrowsTheFileWithZeros() throws IOException {
        Path p = dir.resolve("new");
        try (HostFile f = HostFile.open(p, OpenMode.CREATE_NEW)) {
            f.extendSparse(1 << 20);
            assertEquals(1 << 20, f.size());
            f.extendSparse(10); // never shrinks
            assertEquals(1 << 20, f.size());
        }
        assertThrows(HostIoException.class, () -> HostFile.open(p, OpenMode.CREATE_NEW));
    }

    @Test
    void punchingAHoleZeroesTheRangeKeepsTheSizeAndAnEmptyRangeIsNothingToDo() throws IOException {
        byte[] ones = new byte[3 * 4096];
        java.util.Arrays.fill(ones, (byte) 1);
        Path p = Files.write(dir.resolve("holes"), ones);
        try (HostFile f = HostFile.open(p, OpenMode.READ_WRITE)) {
            f.punchHole(4096, 4096);
            f.punchHole(8192, 0); // fallocate(2) alone says EINVAL: a zero-length discard from a guest must not fail
        }
        byte[] expected = ones.clone();
        java.util.Arrays.fill(expected, 4096, 8192, (byte) 0);
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @Test
    void aMissingFileIsNamedWithTheReason() {
        Path p = dir.resolve("missing");
        HostIoException e = assertThrows(HostIoException.class, () -> HostFile.open(p, OpenMode.READ_WRITE));
        assertEquals(p + ": cannot open: no such file", e.getMessage());
    }

    @Test
    void theNativeDescriptorReachesTheSameFileAndClosesWithIt() throws IOException {
        Path p = Files.write(dir.resolve("fd"), new byte[] {7});
        HostFile f = HostFile.open(p, OpenMode.READ_ONLY);
        int fd = f.nativeFd();
        assertEquals(fd, f.nativeFd()); // opened once, on first use
        assertTrue(Files.isSameFile(p, Path.of("/proc/self/fd/" + fd)));
        f.close();
        HostIoException e = assertThrows(HostIoException.class, f::nativeFd);
        assertEquals(p + ": file is closed", e.getMessage());
    }
}
