package org.ubdjvm.harness.guest;

import java.util.List;

/** What a guest run did; latencies in microseconds. */
public record RunResult(long reads, long writes, long flushes, long bytes, long elapsedNanos, double p50Micros,
                 double p99Micros, double p999Micros, long verifiedSectors, long mismatches, long errors,
                 List<String> firstProblems) {

    public double seconds() {
        return elapsedNanos / 1e9;
    }

    public double iops() {
        return (reads + writes) / seconds();
    }

    public double mbPerSecond() {
        return bytes / seconds() / (1024.0 * 1024.0);
    }

    public boolean clean() {
        return mismatches == 0 && errors == 0;
    }
}
