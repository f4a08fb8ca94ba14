package org.ubdjvm.harness.bench;

import java.util.List;

/**
 * One measurement by one tool. Latencies in microseconds; NaN where the tool does not report them
 * ({@code qemu-img bench} prints only its total time). {@code cpuNanos} is the CPU time (user + system, all
 * threads) the tool's process used while measuring, NaN if unknown: a ratio above 1 bought with a second busy
 * thread shows up there. {@code curve} is the latency at each of {@link #CURVE}'s percentiles (empty if unknown),
 * for the percentile plots. {@code allocBytesPerOp} is what this JVM allocated per request while measuring, all its
 * threads summed ({@link AllocationMeter}); NaN for a peer, which is another process.
 */
public record BenchResult(String tool, long ops, long bytes, long elapsedNanos, double p50Micros, double p99Micros,
                   double p999Micros, double cpuNanos, List<Double> curve, double allocBytesPerOp) {
    /** The percentiles of a latency curve: p50 ... p99.99. */
    public static final List<Double> CURVE = List.of(50.0, 90.0, 99.0, 99.9, 99.99);

    public BenchResult {
        curve = List.copyOf(curve);
    }

    /** A result with no allocation figure: a peer's. */
    public BenchResult(String tool, long ops, long bytes, long elapsedNanos, double p50Micros, double p99Micros,
                       double p999Micros, double cpuNanos, List<Double> curve) {
        this(tool, ops, bytes, elapsedNanos, p50Micros, p99Micros, p999Micros, cpuNanos, curve, Double.NaN);
    }

    /** The same result with {@code bytesPerOp} as its allocation figure. */
    BenchResult withAllocBytesPerOp(double bytesPerOp) {
        return new BenchResult(tool, ops, bytes, elapsedNanos, p50Micros, p99Micros, p999Micros, cpuNanos, curve,
                bytesPerOp);
    }

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
