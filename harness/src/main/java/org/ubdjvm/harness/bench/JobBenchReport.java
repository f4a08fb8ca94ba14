package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import org.ubdjvm.harness.ByteSize;

/**
 * What {@code ubd bench --target=convert|commit} measured: each repeat's seconds for ubd and each peer on fresh
 * copies of one stack, the speed ratio peer seconds / ubd seconds (above 1: ubd is faster), and its median.
 *
 * @param cache how the page cache was prepared for every run, said in the report
 * @param sync  when each tool's clock stopped: with its output durable, or when it returned
 */
public record JobBenchReport(BenchTarget target, String engine, long size, double dirty, String cache, SyncMode sync,
                             List<String> peers, List<Repeat> repeats) {
    /** One round: ubd's seconds, then each peer's in {@link #peers} order. */
    public record Repeat(double ubdSeconds, List<Double> peerSeconds) {
        double speed(int peer) {
            return peerSeconds.get(peer) / ubdSeconds;
        }
    }

    double medianSpeed(int peer) {
        return BenchReport.median(repeats.stream().mapToDouble(r -> r.speed(peer)).toArray());
    }

    public void human(PrintWriter out) {
        out.printf("bench: %s of a %s stack, %.0f%% written in 4 KiB runs, engine %s; page cache %s%n", target,
                ByteSize.human(size), dirty * 100, engine, cache);
        out.printf("sync=%s: %s; ubd runs as %s%n", sync, sync.meaning(), JobBenchmark.UBD_RUNS);
        for (int i = 0; i < repeats.size(); i++) {
            Repeat r = repeats.get(i);
            out.printf("repeat %d: ubd %.3f s", i + 1, r.ubdSeconds());
            for (int p = 0; p < peers.size(); p++) {
                out.printf(", %s %.3f s (x%.2f)", peers.get(p), r.peerSeconds().get(p), r.speed(p));
            }
            out.println();
        }
        for (int p = 0; p < peers.size(); p++) {
            out.printf("median speed vs %s over %d: %.2f (its seconds / ubd's)%n", peers.get(p), repeats.size(),
                    medianSpeed(p));
        }
    }

    public String json() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("target", target.name()).put("engine", engine).put("page-cache", cache).put("sync", sync.name())
                .put("sync-meaning", sync.meaning()).put("ubd-runs", JobBenchmark.UBD_RUNS);
        root.putObject("workload").put("size", size).put("dirty", dirty).put("run-size", 4096);
        var list = root.putArray("repeats");
        for (Repeat r : repeats) {
            ObjectNode rep = list.addObject();
            var results = rep.putArray("results");
            results.addObject().put("tool", "ubd").put("elapsed-seconds", r.ubdSeconds());
            for (int p = 0; p < peers.size(); p++) {
                results.addObject().put("tool", peers.get(p)).put("elapsed-seconds", r.peerSeconds().get(p));
            }
            ObjectNode ratios = rep.putObject("ratios");
            for (int p = 0; p < peers.size(); p++) {
                ratios.putObject(peers.get(p)).put("speed", r.speed(p));
            }
        }
        ObjectNode medians = root.putObject("median-ratios");
        for (int p = 0; p < peers.size(); p++) {
            medians.putObject(peers.get(p)).put("speed", medianSpeed(p));
        }
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
