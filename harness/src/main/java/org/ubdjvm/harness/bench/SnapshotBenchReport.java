package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import org.ubdjvm.driver.SnapshotTiming;
import org.ubdjvm.harness.ByteSize;

/**
 * What {@code ubd bench --target=snapshot} measured: each snapshot's phases, their p50/p90/p99/max over the run (the
 * pause is the figure a guest feels), the guest's own write latency meanwhile, and how busy the host was (the
 * process's CPU time and the load average before and after: on a shared machine the pause is mostly waiting).
 *
 * @param format null: the table's layer format
 */
public record SnapshotBenchReport(BenchSpec spec, String engine, String format, String cache, Host host,
                                  BenchResult guest, List<SnapshotTiming> snapshots) {
    /** The percentiles reported for every phase. */
    static final List<Double> PERCENTILES = List.of(50.0, 90.0, 99.0, 100.0);

    /** The host while the snapshots ran. */
    public record Host(int cpus, double loadBefore, double loadAfter, double processCpuSeconds,
                       double elapsedSeconds) {
    }

    public SnapshotBenchReport {
        snapshots = List.copyOf(snapshots);
    }

    /** Nearest-rank percentile of {@code phase} in milliseconds over the snapshots; p100 is the maximum. */
    double percentileMillis(String phase, double p) {
        double[] v = snapshots.stream().mapToDouble(t -> millis(t.phases().get(phase))).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }

    private static String name(double p) {
        return p == 100.0 ? "max" : BenchReport.percentileName(p);
    }

    public void human(PrintWriter out) {
        out.printf("bench: %d live snapshots (%s) of ubd0=COW,BASE under %s bs %s iodepth %d over %s, engine %s; %s%n",
                snapshots.size(), format == null ? "layer format" : format, spec.rw(), ByteSize.human(spec.blockSize()),
                spec.iodepth(), ByteSize.human(spec.size()), engine, cache);
        out.printf("host: %d cpus, load %.2f -> %.2f, this process %.2f s cpu in %.2f s%n", host.cpus(),
                host.loadBefore(), host.loadAfter(), host.processCpuSeconds(), host.elapsedSeconds());
        out.printf("guest: %.0f iops, write latency p50 %.0f us, p99 %.0f us%n", guest.iops(), guest.p50Micros(),
                guest.p99Micros());
        out.printf("%-9s %9s %9s %9s %9s%n", "phase ms", "p50", "p90", "p99", "max");
        for (String phase : phaseNames()) {
            out.printf("%-9s", phase);
            for (double p : PERCENTILES) {
                out.printf(" %9.3f", percentileMillis(phase, p));
            }
            out.println();
        }
        out.println("held: drain + flush + create + switch = pause; preflush, premake and settle run beside the guest");
    }

    private List<String> phaseNames() {
        return snapshots.isEmpty() ? List.of() : List.copyOf(snapshots.get(0).phases().keySet());
    }

    public String json() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("target", spec.target().name()).put("engine", engine).put("page-cache", cache);
        ObjectNode w = root.putObject("workload").put("rw", spec.rw().name()).put("block-size", spec.blockSize())
                .put("iodepth", spec.iodepth()).put("size", spec.size()).put("snapshots", snapshots.size())
                .put("interval-ms", SnapshotBenchmark.INTERVAL.toMillis());
        if (format == null) {
            w.putNull("format");
        } else {
            w.put("format", format);
        }
        ObjectNode h = root.putObject("host").put("cpus", host.cpus());
        BenchReport.number(h, "load-average-before", host.loadBefore());
        BenchReport.number(h, "load-average-after", host.loadAfter());
        BenchReport.number(h, "process-cpu-seconds", host.processCpuSeconds());
        h.put("elapsed-seconds", host.elapsedSeconds());
        BenchReport.result(root.putObject("guest"), guest);
        percentiles(root.putObject("pause-ms"), "pause");
        ObjectNode phases = root.putObject("phases-ms");
        for (String phase : phaseNames()) {
            percentiles(phases.putObject(phase), phase);
        }
        var list = root.putArray("snapshots");
        for (SnapshotTiming t : snapshots) {
            ObjectNode n = list.addObject();
            t.phases().forEach((phase, d) -> n.put(phase + "-ms", millis(d)));
        }
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    private void percentiles(ObjectNode n, String phase) {
        for (double p : PERCENTILES) {
            BenchReport.number(n, name(p), percentileMillis(phase, p));
        }
        BenchReport.number(n, "mean", snapshots.stream().mapToDouble(t -> millis(t.phases().get(phase))).average()
                .orElse(Double.NaN));
    }
}
