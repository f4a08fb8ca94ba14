package org.ubdjvm.harness;

/**
 * One measurement by one tool. Latencies in microseconds; NaN where the tool does not report them
 * ({@code qemu-img bench} prints only its total time).
 */
record BenchResult(String tool, long ops, long bytes, long elapsedNanos, double p50Micros, double p99Micros,
                   double p999Micros) {
    double seconds() {
        return elapsedNanos / 1e9;
    }

    double iops() {
        return ops / seconds();
    }

    double mibPerSecond() {
        return bytes / seconds() / (1024.0 * 1024.0);
    }

    boolean hasLatency() {
        return !Double.isNaN(p99Micros);
    }
}
