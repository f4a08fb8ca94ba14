package org.ubdjvm.harness;

import java.util.List;

/** What a guest run did; latencies in microseconds. */
record RunResult(long reads, long writes, long flushes, long bytes, long elapsedNanos, double p50Micros,
                 double p99Micros, double p999Micros, long verifiedSectors, long mismatches, long errors,
                 List<String> firstProblems) {

    double seconds() {
        return elapsedNanos / 1e9;
    }

    double iops() {
        return (reads + writes) / seconds();
    }

    double mbPerSecond() {
        return bytes / seconds() / (1024.0 * 1024.0);
    }

    boolean clean() {
        return mismatches == 0 && errors == 0;
    }
}
