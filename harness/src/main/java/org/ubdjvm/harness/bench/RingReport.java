package org.ubdjvm.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * {@code ubd bench --target=ring}: each round's ring and ArrayBlockingQueue measurements, taken alternately in the
 * same run; the figure to quote is the median ratio.
 *
 * @param requestsPerRound no-op requests each side handles in one round, all producers together
 */
public record RingReport(int producers, int batch, long requestsPerRound, List<Round> rounds) {
    /** One round: the ring, then the queue, with the same producers. */
    public record Round(RingBenchmark.Result ring, RingBenchmark.Result abq) {
        public double ratio() {
            return ring.millionsPerSecond() / abq.millionsPerSecond();
        }
    }

    public RingReport {
        rounds = List.copyOf(rounds);
    }

    /** Median ring/ABQ throughput ratio over the rounds (the upper one of an even count). */
    public double medianRatio() {
        List<Double> sorted = rounds.stream().map(Round::ratio).sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    public void human(PrintWriter out) {
        out.printf("bench: request ring, no-op requests, %d producer(s), batches of %d, vs ArrayBlockingQueue%n",
                producers, batch);
        out.printf("%-7s %12s %12s %8s %13s %13s%n", "repeat", "ring M/s", "ABQ M/s", "ratio", "ring alloc B/op",
                "ABQ alloc B/op");
        for (int r = 0; r < rounds.size(); r++) {
            Round round = rounds.get(r);
            out.printf("%-7d %12.1f %12.1f %8.2f %15.2f %14.2f%n", r + 1, round.ring().millionsPerSecond(),
                    round.abq().millionsPerSecond(), round.ratio(), round.ring().allocBytesPerOp(),
                    round.abq().allocBytesPerOp());
        }
        out.printf("median ring/ABQ over %d: %.2f%n", rounds.size(), medianRatio());
    }

    public String json() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("target", "ring");
        root.putObject("workload").put("producers", producers).put("batch", batch)
                .put("requests-per-round", requestsPerRound);
        var list = root.putArray("rounds");
        for (Round round : rounds) {
            ObjectNode n = list.addObject();
            side(n.putObject("ring"), round.ring());
            side(n.putObject("array-blocking-queue"), round.abq());
            BenchReport.number(n, "ratio", round.ratio());
        }
        BenchReport.number(root, "median-ratio", medianRatio());
        return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    private static void side(ObjectNode n, RingBenchmark.Result r) {
        n.put("requests", r.requests()).put("nanos", r.nanos());
        BenchReport.number(n, "millions-per-second", r.millionsPerSecond());
        BenchReport.number(n, "alloc-bytes-per-op", r.allocBytesPerOp());
    }
}
