package org.ubdjvm.harness.bench;

import java.nio.file.Path;
import java.time.Duration;
import org.ubdjvm.harness.AccessPattern;

/**
 * One {@code ubd bench} workload, shared by ubd and the peers measured against it so both run the same thing.
 *
 * @param target    what ubd drives: the engine alone, or the whole device stack
 * @param rw        fio's name of the access pattern
 * @param blockSize bytes per request, a multiple of 512
 * @param iodepth   requests kept in flight by the one submitter thread
 * @param size      bytes of the file the offsets fall in
 * @param runtime   measured time
 * @param ramp      time run before measuring (JIT warm-up for ubd; fio's ramp_time for fio)
 * @param file      the data file: the engine's file, or the stack's backing file
 */
public record BenchSpec(BenchTarget target, AccessPattern rw, int blockSize, int iodepth, long size,
                 Duration runtime, Duration ramp, Path file) {
    public BenchSpec {
        if (rw.mixed()) {
            throw new IllegalArgumentException("--rw=" + rw + ": bench runs read, write, randread or randwrite");
        }
        if (blockSize <= 0 || blockSize % 512 != 0) {
            throw new IllegalArgumentException("--bs must be a positive multiple of 512, not " + blockSize);
        }
        if (iodepth < 1 || iodepth > 4096) {
            throw new IllegalArgumentException("--iodepth must be 1..4096, not " + iodepth);
        }
        if (size < blockSize) {
            throw new IllegalArgumentException("--size " + size + " is smaller than one block of " + blockSize);
        }
        if (runtime.isZero() || runtime.isNegative()) {
            throw new IllegalArgumentException("--runtime must be positive");
        }
    }

    /** Whole blocks in the file: offsets are {@code block * blockSize} for block in [0, blocks). */
    long blocks() {
        return size / blockSize;
    }
}
