package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * fio on the same file with the same workload and the matching ioengine. {@code invalidate=0} keeps fio from
 * dropping the file's page cache before it starts (its default), so both sides read a warm cache;
 * {@code norandommap} makes fio's offsets uniform with repeats, as ubd's are, instead of covering each block once.
 */
final class FioPeer {
    static final String NAME = "fio";

    /** fio's percentile_list for {@link BenchResult#CURVE}. */
    static final String PERCENTILE_LIST = "50:90:99:99.9:99.99";

    private final PeerProgram fio;

    FioPeer(PeerProgram fio) {
        this.fio = fio;
    }

    /** fio's ioengine for a host-io engine: the same kernel interface. */
    static String ioengine(String engine) {
        return switch (engine) {
            case "io_uring" -> "io_uring";
            case "aio" -> "libaio";
            case "mmap" -> "mmap";
            default -> "psync";
        };
    }

    static List<String> arguments(BenchSpec spec, Path file, String engine, boolean direct) {
        return List.of("--name=ubd-bench", "--filename=" + file, "--size=" + spec.size(), "--bs=" + spec.blockSize(),
                "--rw=" + spec.rw(), "--ioengine=" + ioengine(engine), "--iodepth=" + spec.iodepth(),
                "--runtime=" + spec.runtime().toMillis() + "ms", "--time_based=1",
                "--ramp_time=" + spec.ramp().toMillis() + "ms", "--direct=" + (direct ? 1 : 0), "--invalidate=0",
                "--norandommap", "--randrepeat=0", "--percentile_list=" + PERCENTILE_LIST, "--output-format=json");
    }

    BenchResult run(BenchSpec spec, Path file, String engine, boolean direct) throws IOException {
        long timeout = 60 + 2 * (spec.runtime().toSeconds() + spec.ramp().toSeconds());
        String out = fio.run(arguments(spec, file, engine, direct), timeout).stdout();
        return parse(out, spec.rw().writes());
    }

    /** IOPS and completion-latency percentiles from fio's JSON (which may follow warning lines). */
    static BenchResult parse(String stdout, boolean write) throws IOException {
        int brace = stdout.indexOf('{');
        if (brace < 0) {
            throw new IOException("fio printed no JSON: " + stdout.strip().lines().findFirst().orElse("(nothing)"));
        }
        JsonNode job = new ObjectMapper().readTree(stdout.substring(brace)).path("jobs").path(0);
        JsonNode side = job.path(write ? "write" : "read");
        if (side.isMissingNode() || !side.has("total_ios")) {
            throw new IOException("fio's JSON has no " + (write ? "write" : "read") + " results");
        }
        JsonNode pct = side.path("clat_ns").path("percentile");
        long runtimeMs = side.path("runtime").asLong();
        // usr_cpu and sys_cpu are percent of one CPU over the job's run
        double cpuNanos = job.has("usr_cpu") ? (job.path("usr_cpu").asDouble() + job.path("sys_cpu").asDouble())
                / 100.0 * runtimeMs * 1_000_000.0 : Double.NaN;
        return new BenchResult(NAME, side.path("total_ios").asLong(), side.path("io_bytes").asLong(),
                runtimeMs * 1_000_000L, percentile(pct, 50), percentile(pct, 99), percentile(pct, 99.9), cpuNanos,
                BenchResult.CURVE.stream().map(p -> percentile(pct, p)).toList());
    }

    /** fio's JSON keys percentiles as {@code "%f"}: 99.9 is "99.900000"; nanoseconds, returned as microseconds. */
    private static double percentile(JsonNode pct, double p) {
        return pct.path(String.format(java.util.Locale.ROOT, "%f", p)).asDouble(Double.NaN) / 1000.0;
    }
}
