package org.ubdjvm.harness.bench;

/**
 * One measurement by one tool. Latencies in microseconds; NaN where the tool does not report them
 * ({@code qemu-img bench} prints only its total time). {@code cpuNanos} is the CPU time (user + system, all
 * threads) the tool's process used while measuring, NaN if unknown: a ratio above 1 bought with a second busy
 * thread shows up there.
 */
public record BenchResult(String tool, long ops, long bytes, long elapsedNanos, double p50Micros, double p99Micros,
                   double p999Micros, double cpuNanos) {
    double seconds() {
        return elapsedNanos / 1e9;
    }

    double iops() {
        return ops / seconds();
    }

    double mibPerSecond() {
        return bytes / seconds() / (1024.0 * 1024.0);
    }

    /** CPU microseconds per request, NaN if unknown. */
    double cpuMicrosPerOp() {
        return ops == 0 ? Double.NaN : cpuNanos / ops / 1000.0;
    }

    boolean hasLatency() {
        return !Double.isNaN(p99Micros);
    }
}
