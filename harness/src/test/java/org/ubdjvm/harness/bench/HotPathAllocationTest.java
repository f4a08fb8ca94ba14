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
    /** Requests to average over: fixed costs of a window (the meter's own arrays) fall well under a byte. */
    private static final long WANTED = 200_000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"sync, randread", "sync, randwrite", "io_uring, randread", "io_uring, randwrite"})
    void stackAllocatesNothingPerRequestOnceWarm(String engine, AccessPattern rw) throws Exception {
        Path data = dir.resolve("data.img");
        BenchFile.prepare(data, SIZE);
        BenchFile.warm(data, SIZE);
        StringWriter warnings = new StringWriter();
        long ops = 0;
        double bytes = 0;
        // windows of the bench's own loop until enough requests to tell, bounded in time for a loaded machine;
        // the first one ramps (JIT) before it measures
        long giveUp = System.nanoTime() + 20_000_000_000L;
        try (BenchIo io = new StackBenchIo(IoEngines.select(engine, 32).engine(), dir.resolve("top.cow"), data, false,
                false, new PrintWriter(warnings))) {
            for (int window = 0; ops < WANTED && System.nanoTime() < giveUp; window++) {
                BenchSpec spec = new BenchSpec(BenchTarget.stack, rw, 4096, 32, SIZE, Duration.ofMillis(1500),
                        Duration.ofMillis(window == 0 ? 1500 : 0), data);
                BenchResult r = new BenchLoop(io, spec, 7 + window, 50_000).run();
                ops += r.ops();
                bytes += r.allocBytesPerOp() * r.ops();
            }
        }
        assertTrue(ops >= 20_000, "too few requests to tell: " + ops);
        assertTrue(bytes >= 0 && bytes / ops < 1,
                engine + " " + rw + ": " + bytes / ops + " bytes allocated per request over " + ops + " requests");
    }
}
