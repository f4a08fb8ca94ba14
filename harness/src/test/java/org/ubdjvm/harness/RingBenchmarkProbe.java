package org.ubdjvm.harness;
public class RingBenchmarkProbe {
    public static void main(String[] a) throws Exception {
        int producers = Integer.parseInt(a[0]);
        for (int i = 0; i < 4; i++) {
            var r = RingBenchmark.ring(producers, 8_000_000 / producers);
            var q = RingBenchmark.arrayBlockingQueue(producers, 8_000_000 / producers);
            System.out.printf("producers %d: ring %.1f M/s, ABQ %.1f M/s, ratio %.1f%n", producers, r.millionsPerSecond(), q.millionsPerSecond(), r.millionsPerSecond() / q.millionsPerSecond());
        }
    }
}
