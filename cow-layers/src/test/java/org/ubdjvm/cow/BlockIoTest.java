package org.ubdjvm.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ubdjvm.cow.testing.Disks;
import org.ubdjvm.hostio.SyncEngine;
import org.ubdjvm.hostio.testing.LosingEngine;

class BlockIoTest {
    @TempDir
    Path dir;

    /** A request the engine loses fails the blocking call after its limit, naming it and what the engine holds. */
    @Test
    @Timeout(30)
    void aLostRequestFailsTheWaitWithEtimedoutAndTheEnginesState() throws Exception {
        Path raw = Disks.patternedRaw(dir.resolve("lost.img"), 64 * 1024);
        LosingEngine engine = new LosingEngine(new SyncEngine(), 4096);
        try (BlockImage image = FormatTable.standard().open(OpenSpec.of(raw, engine))) {
            WaitLimit limit = new WaitLimit(Duration.ofMillis(200), engine::describeInFlight);
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> BlockIo.read(image, 4096, ByteBuffer.allocate(512), limit));
            long took = System.nanoTime() - start;
            assertEquals("read of 512 bytes at offset 4096 did not complete in 200 ms: ETIMEDOUT (Connection timed out)"
                    + "; in flight: lost read at offset 4096 of " + raw, e.getMessage());
            assertTrue(took < Duration.ofSeconds(5).toNanos(), took / 1_000_000 + " ms");
            ByteBuffer other = ByteBuffer.allocate(512);
            BlockIo.read(image, 8192, other, limit); // the image goes on
            assertArrayEquals(Disks.sector("back %06d ", 16), other.array());
        }
    }
}
