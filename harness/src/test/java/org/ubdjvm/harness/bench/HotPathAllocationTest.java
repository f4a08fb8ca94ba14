package org.ubdjvm.harness.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ubdjvm.harness.AccessPattern;
import org.ubdjvm.hostio.IoEngines;

/**
 * The read and write paths through the whole stack (ring, driver, UML COW V3 over raw, engine) allocate nothing per
 * request once warm: the bench's own {@code alloc-bytes-per-op}, every thread of the JVM summed, stays below one
 * byte averaged over the run. One object per request (a lambda, a boxed long, an iterator) would be 16 bytes or more.
 */
class HotPathAllocationTest {
    private static final long SIZE = 64 << 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"sync, randread", "sync, randwrite", "io_uring, randread", "io_uring, randwrite"})
    void stackAllocatesNothingPerRequestOnceWarm(String engine, AccessPattern rw) throws Exception {
        Path data = dir.resolve("data.img");
        BenchSpec spec = new BenchSpec(BenchTarget.stack, rw, 4096, 32, SIZE, Duration.ofMillis(1500),
                Duration.ofMillis(1500), data);
        BenchFile.prepare(data, SIZE);
        BenchFile.warm(data, SIZE);
        StringWriter warnings = new StringWriter();
        BenchResult r;
        try (BenchIo io = new StackBenchIo(IoEngines.select(engine, 32).engine(), dir.resolve("top.cow"), data, false,
                false, new PrintWriter(warnings))) {
            r = new BenchLoop(io, spec, 7, 50_000).run();
        }
        assertTrue(r.ops() > 20_000, "too few requests to tell: " + r);
        assertTrue(r.allocBytesPerOp() >= 0 && r.allocBytesPerOp() < 1,
                engine + " " + rw + ": " + r.allocBytesPerOp() + " bytes allocated per request over " + r.ops()
                        + " requests");
    }
}
