package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import org.ubdjvm.harness.ByteSize;

/**
 * What {@code ubd bench} measured: each repeat's results for ubd and its peers, the ratio ubd/peer per repeat, and
 * the median of those ratios, the number to quote (machines here are shared; bare times drift between runs, ratios
 * taken seconds apart much less). For IOPS above 1 is ubd faster; for p99 latency below 1 is ubd faster.
 *
 * @param direct whether ubd and its peers bypassed the page cache (O_DIRECT, qemu-img's {@code -t none})
 */
public record BenchReport(BenchSpec spec, String engine, boolean direct, List<String> peers, List<Repeat> repeats) {
    /** One round: ubd first, then each peer in {@link #peers} order. */
    public record Repeat(BenchResult ubd, List<BenchResult> peers) {
    }

    double iopsRatio(Repeat r, int peer) {
        return r.ubd().iops() / r.peers().get(peer).iops();
    }

    /** NaN when the peer reports no latency (qemu-img bench). */
    double p99Ratio(Repeat r, int peer) {
        BenchResult p = r.peers().get(peer);
        return p.hasLatency() && p.p99Micros() > 0 ? r.ubd().p99Micros() / p.p99Micros() : Double.NaN;
    }

    double medianIopsRatio(int peer) {
        return median(repeats.stream().mapToDouble(r -> iopsRatio(r, peer)).toArray());
    }

    double medianP99Ratio(int peer) {
        return median(repeats.stream().mapToDouble(r -> p99Ratio(r, peer)).toArray());
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    public void human(PrintWriter out) {
        out.printf("bench: %s, engine %s%s, %s, bs %s, iodepth %d, %s of %s, %s s after %s s ramp%n",
                spec.target() == BenchTarget.stack ? "full stack (ring, driver, COW V3, engine)"
                        : spec.target() == BenchTarget.nbd ? "fio's nbd engine against ubd serve (COW V3) and peers"
                        : "host-io engine",
                engine, direct ? " (O_DIRECT)" : "", spec.rw(), ByteSize.human(spec.blockSize()), spec.iodepth(),
                ByteSize.human(spec.size()), spec.file(), seconds(spec.runtime().toMillis()),
                seconds(spec.ramp().toMillis()));
        out.printf("%-6s %-9s %10s %9s %9s %9s %9s %10s %11s %9s %9s%n", "repeat", "tool", "iops", "MiB/s", "p50 us",
                "p99 us", "p99.9 us", "cpu us/op", "alloc B/op", "iops x", "p99 x");
        for (int i = 0; i < repeats.size(); i++) {
            Repeat r = repeats.get(i);
            line(out, i + 1, r.ubd(), "", "");
            for (int p = 0; p < peers.size(); p++) {
                line(out, i + 1, r.peers().get(p), ratio(iopsRatio(r, p)), ratio(p99Ratio(r, p)));
            }
        }
        for (int p = 0; p < peers.size(); p++) {
            out.printf("median ubd/%s over %d: iops %s, p99 latency %s%n", peers.get(p), repeats.size(),
                    ratio(medianIopsRatio(p)), ratio(medianP99Ratio(p)));
        }
    }

    private static void line(PrintWriter out, int repeat, BenchResult r, String iopsX, String p99X) {
        out.printf("%-6d %-9s %10.0f %9.1f %9s %9s %9s %10s %11s %9s %9s%n", repeat, r.tool(), r.iops(),
                r.mibPerSecond(), micros(r.p50Micros()), micros(r.p99Micros()), micros(r.p999Micros()),
                ratio(r.cpuMicrosPerOp()), ratio(r.allocBytesPerOp()), iopsX, p99X);
    }

    private static String micros(double us) {
        return Double.isNaN(us) ? "-" : String.format("%.1f", us);
    }

    private static String ratio(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.2f", x);
    }

    static String seconds(long millis) {
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : Double.toString(millis / 1000.0);
    }

    public String json() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node(mapper)) + "\n";
    }

    /** The whole report as a JSON object (the matrix nests one per cell). */
    ObjectNode node(ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        root.put("target", spec.target().name()).put("engine", engine).put("filename", spec.file().toString());
        root.putObject("workload").put("rw", spec.rw().name()).put("block-size", spec.blockSize())
                .put("iodepth", spec.iodepth()).put("size", spec.size())
                .put("runtime-seconds", spec.runtime().toMillis() / 1000.0)
                .put("ramp-seconds", spec.ramp().toMillis() / 1000.0).put("direct", direct);
        var list = root.putArray("repeats");
        for (Repeat r : repeats) {
            ObjectNode rep = list.addObject();
            var results = rep.putArray("results");
            result(results.addObject(), r.ubd());
            r.peers().forEach(p -> result(results.addObject(), p));
            ObjectNode ratios = rep.putObject("ratios");
            for (int p = 0; p < peers.size(); p++) {
                ObjectNode x = ratios.putObject(peers.get(p));
                number(x, "iops", iopsRatio(r, p));
                number(x, "p99", p99Ratio(r, p));
            }
        }
        ObjectNode medians = root.putObject("median-ratios");
        for (int p = 0; p < peers.size(); p++) {
            ObjectNode x = medians.putObject(peers.get(p));
            number(x, "iops", medianIopsRatio(p));
            number(x, "p99", medianP99Ratio(p));
        }
        return root;
    }

    /** The median over the repeats of what {@code value} takes from ubd's result ({@code peer} -1) or a peer's. */
    double median(int peer, java.util.function.ToDoubleFunction<BenchResult> value) {
        return median(repeats.stream().mapToDouble(r -> value.applyAsDouble(peer < 0 ? r.ubd() : r.peers().get(peer)))
                .toArray());
    }

    /** The median latency curve over the repeats, percentile by percentile; empty if the tool reports none. */
    List<Double> medianCurve(int peer) {
        BenchResult first = peer < 0 ? repeats.get(0).ubd() : repeats.get(0).peers().get(peer);
        List<Double> out = new java.util.ArrayList<>();
        for (int i = 0; i < first.curve().size(); i++) {
            int at = i;
            out.add(median(peer, r -> r.curve().get(at)));
        }
        return out;
    }

    static void result(ObjectNode n, BenchResult r) {
        n.put("tool", r.tool()).put("ops", r.ops()).put("elapsed-seconds", r.seconds());
        number(n, "iops", r.iops());
        number(n, "mib-per-second", r.mibPerSecond());
        number(n, "cpu-us-per-op", r.cpuMicrosPerOp());
        number(n, "alloc-bytes-per-op", r.allocBytesPerOp());
        ObjectNode lat = n.putObject("latency-us");
        number(lat, "p50", r.p50Micros());
        number(lat, "p99", r.p99Micros());
        number(lat, "p99.9", r.p999Micros());
        if (!r.curve().isEmpty()) {
            ObjectNode curve = n.putObject("latency-curve-us");
            for (int i = 0; i < r.curve().size(); i++) {
                number(curve, percentileName(BenchResult.CURVE.get(i)), r.curve().get(i));
            }
        }
    }

    /** p50, p99.9, p99.99: the percentile as people write it. */
    static String percentileName(double p) {
        return "p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p));
    }

    /** JSON has no NaN: a value a tool does not report is null. */
    static void number(ObjectNode n, String key, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            n.putNull(key);
        } else {
            n.put(key, value);
        }
    }
}
