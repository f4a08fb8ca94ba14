package org.ubdjvm.hostio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ubdjvm.hostio.testing.Engines;

/**
 * A host error from a device, on every engine. Outside {@link EngineConformanceTest} because a character device
 * cannot be opened O_DIRECT, and the suite runs each test both ways; the suite has its own host error on a file.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeviceErrorTest {
    @ParameterizedTest
    @ValueSource(strings = {"sync", "mmap", "io_uring", "aio"})
    void aWriteToDevFullNamesTheFileTheOffsetAndTheReason(String name) throws Exception {
        Path full = Path.of("/dev/full"); // every write fails, every read succeeds
        assumeTrue(Files.isWritable(full), "/dev/full is not available here");
        try (IoEngine engine = Engines.open(name, 8); HostFile file = HostFile.openAnyKind(full, OpenMode.READ_WRITE)) {
            ByteBuffer dst = ByteBuffer.allocate(4096);
            dst.put(0, (byte) 1);
            Outcome w = new Outcome();
            Outcome r = new Outcome();
            engine.write(file, ByteBuffer.wrap(EngineConformanceTest.pattern(4096, 6)), 8192, w);
            engine.read(file, dst, 0, r);
            engine.submit();
            String message = w.error().getMessage();
            assertTrue(message.startsWith(full + ": write"), message);
            // The reason is the host's: ENOSPC, except that Linux AIO refuses char devices outright with EINVAL.
            assertTrue(message.matches(".* at offset 8192 failed: .*(No space left on device|Invalid argument).*"), message);
            assertEquals(4096, r.result());
            assertArrayEquals(new byte[4096], dst.array());
        }
    }
}
