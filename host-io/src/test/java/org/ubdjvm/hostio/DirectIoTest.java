package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.hostio.testing.Engines;

/** O_DIRECT on every engine: aligned requests round-trip; misaligned ones are refused and write nothing. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DirectIoTest {
    @TempDir
    Path dir;

    private static ByteBuffer aligned(int size, int alignment) {
        return ByteBuffer.allocateDirect(size + 2 * alignment).alignedSlice(alignment).limit(size);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync", "mmap", "io_uring", "aio"})
    void alignedRequestsRoundTripAndMisalignedOnesAreRefused(String name) throws Exception {
        byte[] initial = EngineConformanceTest.pattern(64 * 1024, 5);
        Path p = Files.write(dir.resolve("direct.img"), initial);
        try (IoEngine engine = Engines.open(name, 8);
             HostFile file = HostFile.open(p, OpenMode.READ_WRITE.withDirect(true))) {
            int a = file.directAlignment();
            assertTrue(a >= 512 && Integer.bitCount(a) == 1, "alignment " + a);

            ByteBuffer out = aligned(2 * a, a);
            for (int i = 0; i < out.limit(); i++) {
                out.put(i, (byte) (i * 7));
            }
            Outcome w = new Outcome();
            engine.write(file, out, a, w);
            engine.submit();
            assertEquals(2L * a, w.result());
            ByteBuffer heap = ByteBuffer.allocate(2 * a); // heap buffers bounce through aligned memory
            Outcome r = new Outcome();
            engine.read(file, heap, a, r);
            engine.submit();
            assertEquals(2L * a, r.result());
            for (int i = 0; i < 2 * a; i++) {
                assertEquals((byte) (i * 7), heap.get(i), "byte " + i);
            }
            byte[] after = Files.readAllBytes(p);

            for (Object[] bad : new Object[][] {
                    {aligned(a, a), (long) a + 512 / 2, "offset"},            // offset off by half a sector
                    {aligned(a, a).limit(a - 512 / 2), (long) a, "length"},    // length not a multiple
                    {aligned(a + 64, a).position(64), (long) a, "address"}}) { // buffer address off by 64
                Outcome o = new Outcome();
                engine.write(file, (ByteBuffer) bad[0], (long) bad[1], o);
                engine.submit();
                IOException e = o.error();
                assertTrue(e != null && e.getMessage().contains("refused: O_DIRECT needs offset, length"), bad[2] + ": " + e);
                assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            }
            assertArrayEquals(after, Files.readAllBytes(p), "a refused request wrote nothing");
        }
    }
}
